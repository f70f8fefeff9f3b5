package main

import (
	"bytes"
	"context"
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
