package entdb_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"ariga.io/atlas/sql/migrate"

	"chaoqer/ent/entdb"
	"chaoqer/ent/entdb/entdbtest"
)

// memDir builds a migration directory with its atlas.sum.
func memDir(t *testing.T, files map[string]string) *migrate.MemDir {
	t.Helper()
	dir := &migrate.MemDir{}
	for name, body := range files {
		if err := dir.WriteFile(name, []byte(body)); err != nil {
			t.Fatal(err)
		}
	}
	fs, err := dir.Files()
	if err != nil {
		t.Fatal(err)
	}
	sum, err := migrate.NewHashFile(fs)
	if err != nil {
		t.Fatal(err)
	}
	if err := migrate.WriteSumFile(dir, sum); err != nil {
		t.Fatal(err)
	}
	return dir
}

func tableExists(t *testing.T, db *entdb.DB, name string) bool {
	t.Helper()
	names, err := db.Tables(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range names {
		if n == name {
			return true
		}
	}
	return false
}

// TestFailingFileChangesNothing: a file whose second statement fails leaves
// neither its first statement's table nor a revision row.
func TestFailingFileChangesNothing(t *testing.T) {
	ctx := context.Background()
	db, err := entdb.Open(ctx, entdbtest.URL(t), entdb.WithoutMigrations())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	dir := memDir(t, map[string]string{
		"1_one.sql": "CREATE TABLE one (id integer PRIMARY KEY);\n",
		"2_two.sql": "CREATE TABLE two (id integer PRIMARY KEY);\nINSERT INTO missing VALUES (1);\n",
	})
	applied, err := db.MigrateDir(ctx, dir)
	if err == nil || !strings.Contains(err.Error(), "2_two.sql") || len(applied) != 1 {
		t.Fatalf("applied %v, err %v; want 1 applied and an error naming 2_two.sql", applied, err)
	}
	if !tableExists(t, db, "one") || tableExists(t, db, "two") {
		t.Fatal("the failing file's first statement stayed applied")
	}
	if _, err := db.Revision(ctx, "2"); !errors.Is(err, migrate.ErrRevisionNotExist) {
		t.Fatalf("revision 2 after its failure: %v", err)
	}
	if rev, err := db.Revision(ctx, "1"); err != nil || rev.Applied != 1 {
		t.Fatalf("revision 1: %+v %v", rev, err)
	}
}

// TestTxModeNoneResumes: a file marked `atlas:txmode none` keeps the
// statements that ran and, once fixed after them, continues from the first
// that failed.
func TestTxModeNoneResumes(t *testing.T) {
	ctx := context.Background()
	db, err := entdb.Open(ctx, entdbtest.URL(t), entdb.WithoutMigrations())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	const head = "-- atlas:txmode none\n\nCREATE TABLE three (id integer PRIMARY KEY);\n"
	if _, err := db.MigrateDir(ctx, memDir(t, map[string]string{"1_three.sql": head + "INSERT INTO missing VALUES (1);\n"})); err == nil {
		t.Fatal("the broken file applied")
	}
	rev, err := db.Revision(ctx, "1")
	if err != nil || rev.Applied != 1 || rev.Total != 2 || rev.Error == "" || !tableExists(t, db, "three") {
		t.Fatalf("after the failure: %+v %v", rev, err)
	}
	fixed := memDir(t, map[string]string{"1_three.sql": head + "CREATE TABLE four (id integer PRIMARY KEY);\n"})
	if applied, err := db.MigrateDir(ctx, fixed); err != nil || len(applied) != 1 || !tableExists(t, db, "four") {
		t.Fatalf("resuming: applied %v, err %v", applied, err)
	}
	if rev, err := db.Revision(ctx, "1"); err != nil || rev.Applied != 2 || rev.Error != "" {
		t.Fatalf("after resuming: %+v %v", rev, err)
	}
}
