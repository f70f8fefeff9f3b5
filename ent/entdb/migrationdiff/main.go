// Command migrationdiff writes the migration files that bring the committed
// migrations (ent/migrate/migrations/{sqlite,postgres}) to the current ent
// schema: one new file per database, named NAME, with atlas.sum updated.
// Run it from the repository root after changing ent/schema and running
// `go generate ./...`:
//
//	DATABASE_URL=postgres://postgres@127.0.0.1:5432/scratch?sslmode=disable \
//	  go run ./ent/entdb/migrationdiff add_user_bio
//
// SQLite is diffed in memory; PostgreSQL needs a database (any one: the
// work happens in a temporary schema that is dropped afterwards). Commit the
// new files; CI fails while the schema and the files disagree.
package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"

	"ariga.io/atlas/sql/migrate"
	"entgo.io/ent/dialect"

	"chaoqer/ent/entdb"
)

const root = "ent/migrate/migrations"

func main() {
	if len(os.Args) != 2 || !regexp.MustCompile(`^[a-z0-9_]+$`).MatchString(os.Args[1]) {
		fmt.Fprintln(os.Stderr, "usage: DATABASE_URL=postgres://… go run ./ent/entdb/migrationdiff NAME  (NAME: lower_snake_case)")
		os.Exit(2)
	}
	name := os.Args[1]
	ctx := context.Background()
	for _, d := range []struct{ dialect, sub string }{{dialect.SQLite, "sqlite"}, {dialect.Postgres, "postgres"}} {
		dir, err := migrate.NewLocalDir(filepath.Join(root, d.sub))
		if err != nil {
			fail(err)
		}
		wrote, err := entdb.DiffMigrations(ctx, d.dialect, os.Getenv("DATABASE_URL"), dir, name)
		if err != nil {
			fail(fmt.Errorf("%s: %w", d.sub, err))
		}
		if wrote {
			fmt.Printf("%s: new migration file written in %s\n", d.sub, dir.Path())
		} else {
			fmt.Printf("%s: the migration files already match the ent schema\n", d.sub)
		}
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "migrationdiff:", err)
	os.Exit(1)
}
