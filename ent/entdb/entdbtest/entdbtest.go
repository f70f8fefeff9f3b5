// Package entdbtest gives each test a fresh, migrated database: a SQLite file
// in the test's temp dir by default, or — when DATABASE_URL is a postgres://
// URL, as in CI's second run — a new schema in that database, dropped after
// the test.
package entdbtest

import (
	"context"
	"database/sql"
	"errors"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"chaoqer/ent/entdb"
	"chaoqer/graph/ids"
)

// URL returns a DATABASE_URL for a fresh database that lives as long as t.
func URL(t testing.TB) string {
	t.Helper()
	base := os.Getenv("DATABASE_URL")
	if !strings.HasPrefix(base, "postgres") {
		return "sqlite://" + filepath.Join(t.TempDir(), "test.db")
	}
	schema := "t_" + ids.New()[:16]
	admin, err := sql.Open("postgres", base)
	if err != nil {
		t.Fatalf("opening PostgreSQL: %v", err)
	}
	if _, err := admin.Exec("CREATE SCHEMA " + schema); err != nil {
		t.Fatalf("creating schema: %v", errors.Join(err, admin.Close()))
	}
	t.Cleanup(func() {
		if _, err := admin.Exec("DROP SCHEMA " + schema + " CASCADE"); err != nil {
			t.Logf("dropping schema %s: %v", schema, err)
		}
		if err := admin.Close(); err != nil {
			t.Logf("closing the admin connection: %v", err)
		}
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("DATABASE_URL: %v", err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// Open returns a fresh migrated database, closed when t ends.
func Open(t testing.TB) *entdb.DB {
	t.Helper()
	db, err := entdb.Open(context.Background(), URL(t))
	if err != nil {
		t.Fatalf("opening test database: %v", err)
	}
	t.Cleanup(func() {
		if err := db.Close(); err != nil {
			t.Logf("closing the test database: %v", err)
		}
	})
	return db
}
