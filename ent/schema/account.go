package schema

import (
	"entgo.io/ent"
	"entgo.io/ent/dialect/entsql"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// Account is a registered phone number. Status: -99 deleted, -2 frozen,
// -1 limited, 0 registered (profile not initialised), 1 normal.
type Account struct{ ent.Schema }

// Annotations names the table.
func (Account) Annotations() []schema.Annotation {
	return []schema.Annotation{entsql.Table("accounts")}
}

// Fields of Account.
func (Account) Fields() []ent.Field {
	return []ent.Field{
		hexID(),
		field.String("country_code").MaxLen(8),
		field.String("mobile").MaxLen(32),
		field.String("mobile_md5").MaxLen(32).Unique(),
		field.Int("status").Default(0),
		field.Int("client_type").Default(0),
		field.String("version_name").Default(""),
		field.Int("version_code").Default(0),
		msField("create_time"),
		msField("update_time"),
		msField("active_time"),
	}
}

// Indexes of Account.
func (Account) Indexes() []ent.Index {
	return []ent.Index{index.Fields("country_code", "mobile").Unique()}
}

// Session is the single active login of an account (legacy account_auth).
// Only a SHA-256 of the access token is stored; the signing secret must stay
// readable because the legacy MD5 signature needs it.
type Session struct{ ent.Schema }

// Annotations names the table.
func (Session) Annotations() []schema.Annotation {
	return []schema.Annotation{entsql.Table("sessions")}
}

// Fields of Session. The id is the account uid.
func (Session) Fields() []ent.Field {
	return []ent.Field{
		hexID(),
		field.String("token_hash").MaxLen(64),
		field.String("secret").MaxLen(32).Sensitive(),
		msField("expire_time"),
		msField("login_time"),
		msField("renew_time"),
		msField("create_time"),
		msField("update_time"),
	}
}

// Profile is the public face of an account; the row is created empty at
// registration and filled by profile init.
type Profile struct{ ent.Schema }

// Annotations names the table.
func (Profile) Annotations() []schema.Annotation {
	return []schema.Annotation{entsql.Table("user_profiles")}
}

// Fields of Profile. The id is the account uid.
func (Profile) Fields() []ent.Field {
	return []ent.Field{
		hexID(),
		field.String("nickname").Default(""),
		field.String("avatar").Default(""),
		field.Text("bio").Optional().Nillable(),
		field.String("figure").Optional().Nillable(),
		msField("create_time"),
		msField("update_time"),
	}
}

// Captcha is the pending SMS code of one phone number (id "{cc}:{mobile}").
type Captcha struct{ ent.Schema }

// Annotations names the table.
func (Captcha) Annotations() []schema.Annotation {
	return []schema.Annotation{entsql.Table("captchas")}
}

// Fields of Captcha.
func (Captcha) Fields() []ent.Field {
	return []ent.Field{
		field.String("id").MaxLen(48).NotEmpty().Immutable(),
		field.String("code").MaxLen(8).Sensitive(),
		field.Int("wrong_tries").Default(0),
		msField("expire_time"),
	}
}

// SmsLog records every SMS attempt; the hourly and daily limits count it.
type SmsLog struct{ ent.Schema }

// Annotations names the table.
func (SmsLog) Annotations() []schema.Annotation {
	return []schema.Annotation{entsql.Table("sms_logs")}
}

// Fields of SmsLog.
func (SmsLog) Fields() []ent.Field {
	return []ent.Field{
		field.String("mobile_md5").MaxLen(32),
		msField("create_time"),
	}
}

// Indexes of SmsLog.
func (SmsLog) Indexes() []ent.Index {
	return []ent.Index{index.Fields("mobile_md5", "create_time")}
}

// KV is a small expiring key-value row shared by every server instance:
// duplicate-call locks, resend intervals, provider tokens.
type KV struct{ ent.Schema }

// Annotations names the table.
func (KV) Annotations() []schema.Annotation {
	return []schema.Annotation{entsql.Table("kv_entries")}
}

// Fields of KV.
func (KV) Fields() []ent.Field {
	return []ent.Field{
		field.String("id").MaxLen(255).NotEmpty().Immutable(),
		field.Text("value").Default(""),
		msField("expire_time"),
	}
}

// Indexes of KV.
func (KV) Indexes() []ent.Index {
	return []ent.Index{index.Fields("expire_time")}
}
