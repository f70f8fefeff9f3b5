package schema

import (
	"entgo.io/ent"
	"entgo.io/ent/dialect/entsql"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// Event is a scheduled talk (日程). member_uids are its hosts and guests in
// order; sequence_id is "{event_time}:{id}" and the public list ascends on it.
type Event struct{ ent.Schema }

// Annotations names the table.
func (Event) Annotations() []schema.Annotation {
	return []schema.Annotation{entsql.Table("events")}
}

// Fields of Event.
func (Event) Fields() []ent.Field {
	return []ent.Field{
		hexID(),
		uidField("uid"),
		field.String("name").MaxLen(400),
		field.Text("desc").Optional().Nillable(),
		field.Strings("member_uids"),
		msField("event_time"),
		field.String("room_id").MaxLen(32).Optional().Nillable(),
		field.Bool("deleted").Default(false),
		msField("create_time"),
		msField("update_time"),
		seqField(),
	}
}

// Indexes of Event.
func (Event) Indexes() []ent.Index {
	return []ent.Index{index.Fields("deleted", "sequence_id")}
}

// EventReminder is a user's booking of a reminder for an event. notify_time
// is set once the "event started"/"event is due" notice has been sent.
type EventReminder struct{ ent.Schema }

// Annotations names the table.
func (EventReminder) Annotations() []schema.Annotation {
	return []schema.Annotation{entsql.Table("event_reminders")}
}

// Fields of EventReminder.
func (EventReminder) Fields() []ent.Field {
	return []ent.Field{
		field.String("event_id").MaxLen(32),
		uidField("uid"),
		msField("create_time"),
		field.Int64("notify_time").Optional().Nillable(),
	}
}

// Indexes of EventReminder.
func (EventReminder) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("event_id", "uid").Unique(),
		index.Fields("notify_time"),
	}
}
