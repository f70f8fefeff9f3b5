package app

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"
)

func TestMigrateConfigFromEnv(t *testing.T) {
	for v, skip := range map[string]bool{"": false, "on": false, "off": true, "OFF": true} {
		t.Setenv("CHAOQER_MIGRATE", v)
		c, err := ConfigFromEnv()
		if err != nil || c.SkipMigrations != skip {
			t.Errorf("CHAOQER_MIGRATE=%q: SkipMigrations %v, err %v; want %v", v, c.SkipMigrations, err, skip)
		}
	}
	t.Setenv("CHAOQER_MIGRATE", "later")
	if _, err := ConfigFromEnv(); err == nil {
		t.Error("CHAOQER_MIGRATE=later accepted")
	}
}

// With CHAOQER_MIGRATE=off the server does not start on a database that has
// no migrated schema: it says which command to run instead of failing on a
// missing table at the first request.
func TestNoMigrateRefusesAnEmptyDatabase(t *testing.T) {
	cfg, err := ConfigFromEnv()
	if err != nil {
		t.Fatal(err)
	}
	cfg.DatabaseURL = "sqlite://" + t.TempDir() + "/empty.db"
	cfg.SkipMigrations = true
	a, err := New(context.Background(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err == nil {
		_ = a.Close()
		t.Fatal("started on an empty database with migrations off")
	}
	if !strings.Contains(err.Error(), "chaoqer migrate up") {
		t.Fatalf("error does not say what to do: %v", err)
	}
}
