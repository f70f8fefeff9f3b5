package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"strings"

	"chaoqer/ent/entdb"
)

const migrateUsage = `usage: chaoqer migrate status|up

  status  print the schema version of DATABASE_URL, the version this binary
          expects and the migration files not applied yet; exit status 0
          when the schema is current, 3 when files are pending
  up      apply the pending migration files, each in a transaction
`

// runMigrate is the `chaoqer migrate` subcommand; it returns the exit status.
func runMigrate(ctx context.Context, args []string, databaseURL string, stdout, stderr io.Writer) int {
	var out strings.Builder
	code := migrate(ctx, args, databaseURL, &out, stderr)
	if _, err := io.WriteString(stdout, out.String()); err != nil && code == 0 {
		return 1
	}
	return code
}

func migrate(ctx context.Context, args []string, databaseURL string, out *strings.Builder, stderr io.Writer) int {
	fail := func(err error) int {
		_, _ = fmt.Fprintln(stderr, "chaoqer migrate:", err) // the exit status reports it too
		return 1
	}
	if len(args) != 1 || (args[0] != "status" && args[0] != "up") {
		_, _ = io.WriteString(stderr, migrateUsage)
		return 2
	}
	if path, sqlite := entdb.SQLitePath(databaseURL); sqlite && args[0] == "status" {
		// Opening an SQLite file creates it: status only reads, so a
		// mistyped path is reported instead of reading as an empty database.
		if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) { //nolint:gosec // G703: the operator's own DATABASE_URL, read like the server reads it
			return fail(fmt.Errorf("no SQLite database at %s (`migrate up` creates one)", path))
		}
	}
	db, err := entdb.Open(ctx, databaseURL, entdb.WithoutMigrations(),
		entdb.WithLogger(slog.New(slog.NewTextHandler(stderr, nil))))
	if err != nil {
		return fail(err)
	}
	defer func() { _ = db.Close() }() // read-only or committed by now
	if args[0] == "up" {
		applied, err := db.Migrate(ctx)
		if err != nil {
			return fail(err)
		}
		if len(applied) == 0 {
			out.WriteString("nothing to apply\n")
		}
	}
	current, expected, pending, err := db.MigrationStatus(ctx)
	if err != nil {
		return fail(err)
	}
	if current == "" {
		current = "none"
	}
	fmt.Fprintf(out, "database: %s\ncurrent version: %s\nexpected version: %s\npending: %d\n", db.Dialect, current, expected, pending)
	if pending == 0 {
		return 0
	}
	files, err := db.PendingMigrations(ctx)
	if err != nil {
		return fail(err)
	}
	for _, f := range files {
		out.WriteString("  " + f + "\n")
	}
	return 3
}

// migrateMain runs `chaoqer migrate …` when those are the arguments.
func migrateMain() {
	if len(os.Args) < 2 || os.Args[1] != "migrate" {
		return
	}
	os.Exit(runMigrate(context.Background(), os.Args[2:], os.Getenv("DATABASE_URL"), os.Stdout, os.Stderr))
}
