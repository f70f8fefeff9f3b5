package entdb_test

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"

	"chaoqer/ent/entdb"
	"chaoqer/ent/entdb/entdbtest"
	"chaoqer/ent/migrate/migrations"
)

// TestMigrationFilesMatchEntSchema is CI's drift check: the committed
// migration files, applied to an empty database, must build exactly the
// schema ent/schema declares. SQLite always; PostgreSQL when DATABASE_URL
// points to one.
func TestMigrationFilesMatchEntSchema(t *testing.T) {
	dialects := []string{dialect.SQLite}
	devURL := os.Getenv("DATABASE_URL")
	if strings.HasPrefix(devURL, "postgres") {
		dialects = append(dialects, dialect.Postgres)
	}
	for _, d := range dialects {
		t.Run(d, func(t *testing.T) {
			embedded, err := entdb.MigrationDir(d)
			if err != nil {
				t.Fatal(err)
			}
			files, err := embedded.Files()
			if err != nil {
				t.Fatal(err)
			}
			// A private copy: the diff writes its plan there.
			sub := map[string]string{dialect.SQLite: "sqlite", dialect.Postgres: "postgres"}[d]
			dir, err := entdb.CopyDir(migrations.FS, sub)
			if err != nil {
				t.Fatal(err)
			}
			wrote, err := entdb.DiffMigrations(context.Background(), d, devURL, dir, "drift")
			if err != nil {
				t.Fatalf("diffing the ent schema with the migration files: %v", err)
			}
			if !wrote {
				return
			}
			after, _ := dir.Files()
			var plan strings.Builder
			for _, f := range after[len(files):] {
				plan.Write(f.Bytes())
			}
			t.Fatalf("the ent schema and the %s migration files disagree; regenerate the files with\n\t%s\nand commit them. The missing migration:\n%s",
				d, entdb.RegenerateCommand, plan.String())
		})
	}
}

// TestMigrationStatusAndUp opens a fresh database without migrating (as
// CHAOQER_MIGRATE=off does), then migrates it.
func TestMigrationStatusAndUp(t *testing.T) {
	ctx := context.Background()
	db, err := entdb.Open(ctx, entdbtest.URL(t), entdb.WithoutMigrations())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	dir, _ := entdb.MigrationDir(db.Dialect)
	files, _ := dir.Files()
	latest := files[len(files)-1].Version()

	current, expected, pending, err := db.MigrationStatus(ctx)
	if err != nil || current != "" || expected != latest || pending != len(files) {
		t.Fatalf("before: current %q expected %q pending %d err %v; want \"\", %q, %d", current, expected, pending, err, latest, len(files))
	}
	if _, err := db.Client.KV.Query().Count(ctx); err == nil {
		t.Fatal("the schema exists before migrating")
	}
	applied, err := db.Migrate(ctx)
	if err != nil || len(applied) != len(files) || applied[len(applied)-1] != latest {
		t.Fatalf("migrate: applied %v, err %v", applied, err)
	}
	current, _, pending, err = db.MigrationStatus(ctx)
	if err != nil || current != latest || pending != 0 {
		t.Fatalf("after: current %q pending %d err %v", current, pending, err)
	}
	if p, err := db.PendingMigrations(ctx); err != nil || len(p) != 0 {
		t.Fatalf("pending after up: %v %v", p, err)
	}
	var execNanos int64
	if err := db.SQL.QueryRowContext(ctx, "SELECT execution_time FROM atlas_schema_revisions ORDER BY version LIMIT 1").Scan(&execNanos); err != nil || execNanos < int64(time.Microsecond) {
		t.Fatalf("recorded execution time %dns (%v)", execNanos, err)
	}
	db.Client.KV.Create().SetID("k").SetExpireTime(0).ExecX(ctx)
	// A second run finds nothing to do.
	if applied, err := db.Migrate(ctx); err != nil || len(applied) != 0 {
		t.Fatalf("second migrate: applied %v, err %v", applied, err)
	}
	// A newer release migrated the database further; this older binary
	// still starts, and reports nothing pending.
	if _, err := db.SQL.ExecContext(ctx, entdb.Rebind(db.Dialect, `INSERT INTO atlas_schema_revisions
		(version, description, type, applied, total, executed_at, execution_time, hash, operator_version)
		VALUES ('99990101000000', 'future', 2, 1, 1, ?, 0, '', '')`), time.Now()); err != nil {
		t.Fatal(err)
	}
	if applied, err := db.Migrate(ctx); err != nil || len(applied) != 0 {
		t.Fatalf("migrate behind the database: applied %v, err %v", applied, err)
	}
	current, expected, pending, err = db.MigrationStatus(ctx)
	if err != nil || current != "99990101000000" || expected != latest || pending != 0 {
		t.Fatalf("ahead: current %q expected %q pending %d err %v", current, expected, pending, err)
	}
}

// TestAutoMigratedDatabaseUpgrades: a database created by the releases that
// auto-migrated at start (ent's Schema.Create, no revisions table) is
// recognized as the baseline, keeps its rows, and is then at the expected
// version, on whichever database the tests use.
func TestAutoMigratedDatabaseUpgrades(t *testing.T) {
	ctx := context.Background()
	url := entdbtest.URL(t)
	legacy, err := entdb.Open(ctx, url, entdb.WithoutMigrations())
	if err != nil {
		t.Fatal(err)
	}
	if err := legacy.Client.Schema.Create(ctx); err != nil {
		t.Fatal(err)
	}
	legacy.Client.KV.Create().SetID("kept").SetValue("v").SetExpireTime(0).ExecX(ctx)
	legacy.Close()

	db, err := entdb.Open(ctx, url)
	if err != nil {
		t.Fatalf("opening an auto-migrated database: %v", err)
	}
	defer db.Close()
	current, expected, pending, err := db.MigrationStatus(ctx)
	if err != nil || current != expected || pending != 0 {
		t.Fatalf("status: current %q expected %q pending %d err %v", current, expected, pending, err)
	}
	if kv := db.Client.KV.GetX(ctx, "kept"); kv.Value != "v" {
		t.Fatalf("row after upgrade: %+v", kv)
	}
	var typ int
	row := db.SQL.QueryRowContext(ctx, "SELECT type FROM atlas_schema_revisions ORDER BY version LIMIT 1")
	if err := row.Scan(&typ); err != nil || typ != 1 {
		t.Fatalf("first revision type %d (%v), want 1 (baseline)", typ, err)
	}
}

// TestUnknownSchemaIsRefused: tables that match no migration version (here
// an index dropped by hand) stop the start, and nothing is recorded.
func TestUnknownSchemaIsRefused(t *testing.T) {
	ctx := context.Background()
	url := entdbtest.URL(t)
	legacy, err := entdb.Open(ctx, url, entdb.WithoutMigrations())
	if err != nil {
		t.Fatal(err)
	}
	if err := legacy.Client.Schema.Create(ctx); err != nil {
		t.Fatal(err)
	}
	drv := entsql.OpenDB(legacy.Dialect, legacy.SQL)
	if err := drv.Exec(ctx, `DROP INDEX account_country_code_mobile`, []any{}, nil); err != nil {
		t.Fatal(err)
	}
	_, err = entdb.Open(ctx, url)
	if err == nil || !strings.Contains(err.Error(), "matches no migration version") || !strings.Contains(err.Error(), "accounts") {
		t.Fatalf("opening a database of unknown schema: %v", err)
	}
	if current, _, _, err := legacy.MigrationStatus(ctx); err != nil || current != "" {
		t.Fatalf("status after the refusal: %q %v", current, err)
	}
	legacy.Close()
}

// TestConcurrentOpensMigrateOnce: instances starting together on one
// PostgreSQL database apply each file once (the advisory lock).
func TestConcurrentOpensMigrateOnce(t *testing.T) {
	if !strings.HasPrefix(os.Getenv("DATABASE_URL"), "postgres") {
		t.Skip("PostgreSQL only: one SQLite file has one server")
	}
	ctx := context.Background()
	url := entdbtest.URL(t)
	errs := make(chan error, 3)
	dbs := make(chan *entdb.DB, 3)
	for i := 0; i < 3; i++ {
		go func() {
			db, err := entdb.Open(ctx, url)
			errs <- err
			dbs <- db
		}()
	}
	for i := 0; i < 3; i++ {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
		if db := <-dbs; db != nil {
			defer db.Close()
		}
	}
	var n int
	db, _ := entdb.Open(ctx, url)
	defer db.Close()
	if err := db.SQL.QueryRowContext(ctx, "SELECT COUNT(*) FROM atlas_schema_revisions").Scan(&n); err != nil {
		t.Fatal(err)
	}
	dir, _ := entdb.MigrationDir(db.Dialect)
	files, _ := dir.Files()
	if n != len(files) {
		t.Fatalf("%d revisions for %d files", n, len(files))
	}
}
