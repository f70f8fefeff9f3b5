package schema

import (
	"entgo.io/ent"
	"entgo.io/ent/dialect/entsql"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// AppVersion is a published client release; id = MD5("{client_type}:{version_code}").
type AppVersion struct{ ent.Schema }

// Annotations names the table.
func (AppVersion) Annotations() []schema.Annotation {
	return []schema.Annotation{entsql.Table("app_versions")}
}

// Fields of AppVersion.
func (AppVersion) Fields() []ent.Field {
	return []ent.Field{
		hexID(),
		field.Int("client_type"),
		field.Int("version_code"),
		field.String("version_name"),
		field.Text("version_desc").Default(""),
		field.Bool("forced_upgrade").Default(false),
		field.Text("download_url").Default(""),
		msField("create_time"),
	}
}

// Indexes of AppVersion.
func (AppVersion) Indexes() []ent.Index {
	return []ent.Index{index.Fields("client_type", "version_code").Unique()}
}

// Feedback is a user's feedback about the app (type 0) or a room (type 1).
type Feedback struct{ ent.Schema }

// Annotations names the table.
func (Feedback) Annotations() []schema.Annotation {
	return []schema.Annotation{entsql.Table("app_feedback")}
}

// Fields of Feedback.
func (Feedback) Fields() []ent.Field {
	return []ent.Field{
		uidField("uid"),
		field.Int("origin_feedback_type"),
		field.String("origin_id").MaxLen(64),
		field.String("origin_uid").MaxLen(32).Optional().Nillable(),
		field.Text("origin_content").Optional().Nillable(),
		field.Int64("origin_content_create_time").Optional().Nillable(),
		field.Int("client_type").Default(0),
		field.String("version_name").Default(""),
		field.Int("version_code").Default(0),
		field.Int("feedback_type").Default(0),
		field.Text("feedback_content"),
		field.Strings("feedback_images").Optional(),
		field.Int("status").Default(0),
		msField("create_time"),
	}
}

// Indexes of Feedback.
func (Feedback) Indexes() []ent.Index {
	return []ent.Index{index.Fields("uid", "create_time")}
}

// Report is a complaint about a user (type 1) or a room (type 2); one per
// reporter and target.
type Report struct{ ent.Schema }

// Annotations names the table.
func (Report) Annotations() []schema.Annotation {
	return []schema.Annotation{entsql.Table("app_reports")}
}

// Fields of Report.
func (Report) Fields() []ent.Field {
	return []ent.Field{
		uidField("uid"),
		field.Int("origin_report_type"),
		field.String("origin_id").MaxLen(64),
		field.String("origin_uid").MaxLen(32).Default(""),
		field.Text("origin_content").Default(""),
		field.Int64("origin_content_create_time").Default(0),
		field.Int("report_reason_type"),
		field.Text("reason"),
		field.Int("status").Default(0),
		msField("create_time"),
	}
}

// Indexes of Report.
func (Report) Indexes() []ent.Index {
	return []ent.Index{index.Fields("uid", "origin_report_type", "origin_id").Unique()}
}

// LinkPreview caches the Open Graph summary of a shared link, keyed by the
// MD5 of the link text (legacy linkMD5).
type LinkPreview struct{ ent.Schema }

// Annotations names the table.
func (LinkPreview) Annotations() []schema.Annotation {
	return []schema.Annotation{entsql.Table("link_previews")}
}

// Fields of LinkPreview. status: 0 recorded (not fetched yet), 1 fetched,
// 2 fetch failed or refused.
func (LinkPreview) Fields() []ent.Field {
	return []ent.Field{
		hexID(),
		field.Text("link"),
		field.Text("url").Default(""),
		field.Text("title").Default(""),
		field.Text("description").Default(""),
		field.Text("image").Default(""),
		field.Int("status").Default(0),
		msField("create_time"),
		msField("update_time"),
	}
}
