// Package schema is the data model of the Chaoqer backend: one ent schema per
// table. Ids are 32 lowercase hex characters (or database sequences where the
// legacy API exposes numbers), and every time is epoch milliseconds (int64) so
// that JSON stays identical to the legacy API.
//
// Rows reference each other by id columns rather than ent edges: the legacy
// keys (uid, club id, room id) are what the queries filter and join on, and the
// hand-written keyset queries stay readable that way.
package schema

import (
	"entgo.io/ent"
	"entgo.io/ent/schema/field"
)

// hexID is the primary key of tables keyed by a 32-hex identifier.
func hexID() ent.Field {
	return field.String("id").MaxLen(32).NotEmpty().Immutable()
}

// uidField is a column holding a 32-hex user id.
func uidField(name string) ent.Field {
	return field.String(name).MaxLen(32)
}

// msField is a required epoch-milliseconds column.
func msField(name string) ent.Field {
	return field.Int64(name)
}

// seqField is the legacy keyset column "{ms}:{32hex}" that lists page on.
func seqField() ent.Field {
	return field.String("sequence_id").MaxLen(64)
}
