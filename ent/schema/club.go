package schema

import (
	"entgo.io/ent"
	"entgo.io/ent/dialect/entsql"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// Club is a group of users (圈子); uid is the creator.
type Club struct{ ent.Schema }

// Annotations names the table.
func (Club) Annotations() []schema.Annotation {
	return []schema.Annotation{entsql.Table("clubs")}
}

// Fields of Club.
func (Club) Fields() []ent.Field {
	return []ent.Field{
		hexID(),
		uidField("uid"),
		field.String("name").MaxLen(400),
		field.Text("cover"),
		msField("create_time"),
	}
}

// Indexes of Club.
func (Club) Indexes() []ent.Index {
	return []ent.Index{index.Fields("uid")}
}

// ClubMember is one membership. sequence_id is "{create_time}:{club_id}" as
// in the legacy API (so it is not unique within one club's member list).
type ClubMember struct{ ent.Schema }

// Annotations names the table.
func (ClubMember) Annotations() []schema.Annotation {
	return []schema.Annotation{entsql.Table("club_members")}
}

// Fields of ClubMember.
func (ClubMember) Fields() []ent.Field {
	return []ent.Field{
		field.String("club_id").MaxLen(32),
		uidField("uid"),
		field.Bool("admin").Default(false),
		msField("create_time"),
		seqField(),
	}
}

// Indexes of ClubMember.
func (ClubMember) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("club_id", "uid").Unique(),
		index.Fields("club_id", "sequence_id", "uid"),
		index.Fields("uid", "sequence_id"),
		// The feed joins the viewer's memberships to rooms by club: with
		// club_id in the index that side is one index-only range.
		index.Fields("uid", "club_id"),
	}
}
