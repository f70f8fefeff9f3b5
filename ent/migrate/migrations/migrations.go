// Package migrations embeds the versioned schema migrations, one directory
// per database (sqlite/, postgres/), in Atlas's format: timestamp-named SQL
// files and an atlas.sum that pins their content. The files are generated
// from the ent schema, never written by hand:
//
//	DATABASE_URL=postgres://…/scratch go run ./ent/entdb/migrationdiff NAME
//
// and applied by chaoqer/ent/entdb (at start, or `chaoqer migrate up`).
package migrations

import "embed"

// FS holds sqlite/ and postgres/.
//
//go:embed sqlite postgres
var FS embed.FS
