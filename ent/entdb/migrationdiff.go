package entdb

import (
	"context"
	stdsql "database/sql"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"ariga.io/atlas/sql/migrate"
	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"
	"entgo.io/ent/dialect/sql/schema"

	"chaoqer/ent"
	entmigrate "chaoqer/ent/migrate"
)

// RegenerateCommand is the command that writes a new migration file for
// each database when the ent schema changed.
const RegenerateCommand = "DATABASE_URL=postgres://…/any_scratch_db go run ./ent/entdb/migrationdiff NAME"

// DiffMigrations compares the ent schema with the schema dir's files build,
// and writes the difference into dir as one new migration file (Atlas
// format, atlas.sum updated) named name. It reports whether it wrote one.
//
// The files are applied to an empty database first: an in-memory SQLite
// database, or for dialect.Postgres a temporary schema in the database at
// devURL (a postgres:// URL; the schema is dropped afterwards). The new file
// holds every change, drops included; a table the files create but the ent
// schema lacks is an error, as ent never drops tables.
func DiffMigrations(ctx context.Context, dialectName, devURL string, dir migrate.Dir, name string) (bool, error) {
	sqlDB, done, err := scratchDB(ctx, dialectName, devURL)
	if err != nil {
		return false, err
	}
	defer done()
	if _, err := (migrator{dialect: dialectName, dir: dir}).up(ctx, sqlDB); err != nil {
		return false, fmt.Errorf("replaying the migration files: %w", err)
	}
	tables, err := userTables(ctx, sqlDB, dialectName)
	if err != nil {
		return false, err
	}
	known := map[string]bool{}
	for _, t := range entmigrate.Tables {
		known[t.Name] = true
	}
	for _, t := range tables {
		if !known[t] {
			return false, fmt.Errorf("the migration files create table %q, which the ent schema does not have", t)
		}
	}
	client := ent.NewClient(ent.Driver(entsql.OpenDB(dialectName, sqlDB)))
	err = client.Schema.NamedDiff(ctx, name,
		schema.WithDir(dir),
		schema.WithFormatter(migrate.DefaultFormatter),
		schema.WithMigrationMode(schema.ModeInspect),
		schema.WithDropColumn(true),
		schema.WithDropIndex(true),
		schema.WithErrNoPlan(true),
	)
	switch {
	case errors.Is(err, migrate.ErrNoPlan):
		return false, nil
	case err != nil:
		return false, err
	}
	return true, nil
}

// scratchDB opens an empty database of the dialect and returns a function
// that disposes of it.
func scratchDB(ctx context.Context, dialectName, devURL string) (*stdsql.DB, func(), error) {
	switch dialectName {
	case dialect.SQLite:
		db, err := stdsql.Open("sqlite", "file:scratch-"+randomHex()+"?mode=memory&cache=shared&_pragma=foreign_keys(1)")
		if err != nil {
			return nil, nil, err
		}
		// An in-memory database lives while one of its connections is open;
		// one connection, used in turn, keeps it and never meets a lock.
		db.SetMaxOpenConns(1)
		db.SetMaxIdleConns(1)
		// Scratch work is thrown away; a failing Close loses nothing.
		return db, func() { _ = db.Close() }, nil
	case dialect.Postgres:
		if !strings.HasPrefix(devURL, "postgres") {
			return nil, nil, errors.New("a PostgreSQL dev database is needed: set DATABASE_URL to a postgres:// URL")
		}
		admin, err := stdsql.Open("postgres", devURL)
		if err != nil {
			return nil, nil, err
		}
		name := "chaoqer_scratch_" + randomHex()
		if _, err := admin.ExecContext(ctx, "CREATE SCHEMA "+name); err != nil {
			return nil, nil, errors.Join(fmt.Errorf("creating a scratch schema: %w", err), admin.Close())
		}
		cleanup := func() {
			_, _ = admin.ExecContext(context.Background(), "DROP SCHEMA "+name+" CASCADE")
			_ = admin.Close()
		}
		u, err := url.Parse(devURL)
		if err != nil {
			cleanup()
			return nil, nil, err
		}
		q := u.Query()
		q.Set("search_path", name)
		u.RawQuery = q.Encode()
		db, err := stdsql.Open("postgres", u.String())
		if err != nil {
			cleanup()
			return nil, nil, err
		}
		return db, func() { _ = db.Close(); cleanup() }, nil
	}
	return nil, nil, fmt.Errorf("unknown dialect %q", dialectName)
}
