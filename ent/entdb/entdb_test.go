package entdb_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"entgo.io/ent/dialect"

	"chaoqer/ent"
	"chaoqer/ent/entdb"
	"chaoqer/ent/entdb/entdbtest"
)

func TestRebind(t *testing.T) {
	q := "SELECT ? FROM t WHERE a = ? AND b IN (?)"
	if got := entdb.Rebind(dialect.SQLite, q); got != q {
		t.Errorf("SQLite: %s", got)
	}
	if got, want := entdb.Rebind(dialect.Postgres, q), "SELECT $1 FROM t WHERE a = $2 AND b IN ($3)"; got != want {
		t.Errorf("PostgreSQL: %s, want %s", got, want)
	}
}

// TestPreparedListQuery runs one prepared statement with lists of different
// lengths, counting every execution, on whichever database the tests use.
func TestPreparedListQuery(t *testing.T) {
	db := entdbtest.Open(t)
	ctx := context.Background()
	for i := 0; i < 3; i++ {
		db.Client.KV.Create().SetID(fmt.Sprint("k", i)).SetExpireTime(0).ExecX(ctx)
	}
	stmt, err := db.Prepare(ctx, "SELECT COUNT(*) FROM kv_entries WHERE "+db.InList("id"))
	if err != nil {
		t.Fatal(err)
	}
	defer stmt.Close()
	before := db.Statements()
	counted, n := entdb.WithCounter(ctx)
	for _, c := range []struct {
		keys []string
		want int
	}{{[]string{"k0"}, 1}, {[]string{"k0", "k2", "nope"}, 2}, {[]string{}, 0}} {
		rows, err := stmt.QueryContext(counted, db.StringList(c.keys))
		if err != nil {
			t.Fatal(err)
		}
		var got int
		rows.Next()
		if err := rows.Scan(&got); err != nil {
			t.Fatal(err)
		}
		rows.Close()
		if got != c.want {
			t.Errorf("keys %v: %d rows, want %d", c.keys, got, c.want)
		}
	}
	if db.Statements()-before != 3 || n.Load() != 3 {
		t.Errorf("counted %d globally, %d in the context; want 3", db.Statements()-before, n.Load())
	}
}

func TestWithTxRollsBack(t *testing.T) {
	db := entdbtest.Open(t)
	ctx := context.Background()
	boom := errors.New("boom")
	err := entdb.WithTx(ctx, db.Client, func(tx *ent.Tx) error {
		tx.KV.Create().SetID("a").SetExpireTime(0).ExecX(ctx)
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("error %v", err)
	}
	if n := db.Client.KV.Query().CountX(ctx); n != 0 {
		t.Fatalf("%d rows after a rollback", n)
	}
}

func TestStmtIsPreparedOncePerName(t *testing.T) {
	db := entdbtest.Open(t)
	builds := 0
	query := func() string { builds++; return "SELECT COUNT(*) FROM kv_entries" }
	a, err := db.Stmt("count", query)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := db.Stmt("count", query)
	if a != b || builds != 1 {
		t.Fatalf("prepared %d times, same statement: %v", builds, a == b)
	}
	if _, err := db.Stmt("broken", func() string { return "SELEC nonsense" }); err == nil {
		t.Fatal("a broken query prepared")
	}
	if _, err := db.Stmt("broken", func() string { return "SELECT 1" }); err != nil {
		t.Fatalf("a failed prepare is remembered: %v", err)
	}
}
