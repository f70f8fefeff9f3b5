package schema

import (
	"entgo.io/ent"
	"entgo.io/ent/dialect/entsql"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// Block says uid has blocked target_uid.
type Block struct{ ent.Schema }

// Annotations names the table.
func (Block) Annotations() []schema.Annotation {
	return []schema.Annotation{entsql.Table("user_blocks")}
}

// Fields of Block. sequence_id is "{create_time}:{target_uid}".
func (Block) Fields() []ent.Field {
	return []ent.Field{
		uidField("uid"),
		uidField("target_uid"),
		msField("create_time"),
		seqField(),
	}
}

// Indexes of Block.
func (Block) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("uid", "target_uid").Unique(),
		index.Fields("uid", "sequence_id"),
		index.Fields("target_uid"),
	}
}

// Card is a business card sender_uid gave to holder_uid. deleted: 0 normal,
// 1 removed by the holder (or sent while blocked).
type Card struct{ ent.Schema }

// Annotations names the table.
func (Card) Annotations() []schema.Annotation {
	return []schema.Annotation{entsql.Table("user_cards")}
}

// Fields of Card. sequence_id is "{create_time}:{sender_uid}".
func (Card) Fields() []ent.Field {
	return []ent.Field{
		uidField("holder_uid"),
		uidField("sender_uid"),
		field.Int("deleted").Default(0),
		msField("create_time"),
		seqField(),
	}
}

// Indexes of Card.
func (Card) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("holder_uid", "sender_uid").Unique(),
		index.Fields("holder_uid", "deleted", "sequence_id"),
		index.Fields("sender_uid"),
	}
}

// Message is a stored notification. The id is a database sequence, so it
// grows monotonically and doubles as the legacy sequenceId.
type Message struct{ ent.Schema }

// Annotations names the table.
func (Message) Annotations() []schema.Annotation {
	return []schema.Annotation{entsql.Table("user_messages")}
}

// Fields of Message. body is the JSON text {title, content, url}.
func (Message) Fields() []ent.Field {
	return []ent.Field{
		field.Int64("id"),
		uidField("uid"),
		field.Int("origin_push_type"),
		field.String("origin_uid").MaxLen(32).Optional().Nillable(),
		field.Int("message_type").Default(0),
		field.Text("body"),
		field.Bool("unread").Default(true),
		field.Int("deleted").Default(0),
		msField("create_time"),
		msField("update_time"),
	}
}

// Indexes of Message.
func (Message) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("uid", "deleted", "unread"),
	}
}

// PushDevice binds a JPush registration id to the user who last used it.
type PushDevice struct{ ent.Schema }

// Annotations names the table.
func (PushDevice) Annotations() []schema.Annotation {
	return []schema.Annotation{entsql.Table("push_devices")}
}

// Fields of PushDevice. The id is the device (registration) id.
func (PushDevice) Fields() []ent.Field {
	return []ent.Field{
		field.String("id").MaxLen(128).NotEmpty().Immutable(),
		uidField("uid"),
		msField("create_time"),
		msField("update_time"),
	}
}

// Indexes of PushDevice.
func (PushDevice) Indexes() []ent.Index {
	return []ent.Index{index.Fields("uid")}
}
