package main

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"entgo.io/ent/dialect"

	"chaoqer/ent/entdb"
	"chaoqer/ent/entdb/entdbtest"
)

// TestMigrateCommand runs `chaoqer migrate status`, `up`, `status` on an
// empty database, as an operator would with CHAOQER_MIGRATE=off.
func TestMigrateCommand(t *testing.T) {
	ctx := context.Background()
	url := entdbtest.URL(t)
	run := func(args ...string) (int, string) {
		var out, errOut bytes.Buffer
		code := runMigrate(ctx, args, url, &out, &errOut)
		return code, out.String() + errOut.String()
	}
	d := dialect.SQLite
	if strings.HasPrefix(url, "postgres") {
		d = dialect.Postgres
	}
	dir, err := entdb.MigrationDir(d)
	if err != nil {
		t.Fatal(err)
	}
	files, _ := dir.Files()
	first, latest := files[0], files[len(files)-1].Version()
	if path, sqlite := entdb.SQLitePath(url); sqlite {
		// An empty database: status reports on an existing file only.
		if err := os.WriteFile(path, nil, 0o600); err != nil {
			t.Fatal(err)
		}
	}

	code, out := run("status")
	if code != 3 || !strings.Contains(out, "current version: none") || !strings.Contains(out, "expected version: "+latest) ||
		!strings.Contains(out, first.Name()) {
		t.Fatalf("status before up: exit %d\n%s", code, out)
	}
	code, out = run("up")
	if code != 0 || !strings.Contains(out, "applied migration") || !strings.Contains(out, "current version: "+latest) ||
		!strings.Contains(out, "pending: 0") {
		t.Fatalf("up: exit %d\n%s", code, out)
	}
	if code, out = run("status"); code != 0 || !strings.Contains(out, "pending: 0") {
		t.Fatalf("status after up: exit %d\n%s", code, out)
	}
	if code, out = run("up"); code != 0 || !strings.Contains(out, "nothing to apply") {
		t.Fatalf("second up: exit %d\n%s", code, out)
	}
	if code, _ = run("down"); code != 2 {
		t.Fatalf("unknown subcommand: exit %d, want 2", code)
	}
}

// TestMigrateStatusCreatesNothing: status on an SQLite path with no
// database reports it (exit 1) instead of creating an empty file.
func TestMigrateStatusCreatesNothing(t *testing.T) {
	path := filepath.Join(t.TempDir(), "typo", "chaoqer.db")
	var out, errOut bytes.Buffer
	if code := runMigrate(context.Background(), []string{"status"}, "sqlite://"+path, &out, &errOut); code != 1 ||
		!strings.Contains(errOut.String(), "no SQLite database at "+path) {
		t.Fatalf("exit %d: %s%s", code, out.String(), errOut.String())
	}
	if _, err := os.Stat(filepath.Dir(path)); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("status created %s (%v)", filepath.Dir(path), err)
	}
}
