package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"

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
	if len(args) != 1 || (args[0] != "status" && args[0] != "up") {
		fmt.Fprint(stderr, migrateUsage)
		return 2
	}
	db, err := entdb.Open(ctx, databaseURL, entdb.WithoutMigrations(),
		entdb.WithLogger(slog.New(slog.NewTextHandler(stderr, nil))))
	if err != nil {
		fmt.Fprintln(stderr, "chaoqer migrate:", err)
		return 1
	}
	defer db.Close()
	if args[0] == "up" {
		applied, err := db.Migrate(ctx)
		if err != nil {
			fmt.Fprintln(stderr, "chaoqer migrate up:", err)
			return 1
		}
		if len(applied) == 0 {
			fmt.Fprintln(stdout, "nothing to apply")
		}
	}
	current, expected, pending, err := db.MigrationStatus(ctx)
	if err != nil {
		fmt.Fprintln(stderr, "chaoqer migrate:", err)
		return 1
	}
	if current == "" {
		current = "none"
	}
	fmt.Fprintf(stdout, "database: %s\ncurrent version: %s\nexpected version: %s\npending: %d\n", db.Dialect, current, expected, pending)
	if pending == 0 {
		return 0
	}
	files, err := db.PendingMigrations(ctx)
	if err != nil {
		fmt.Fprintln(stderr, "chaoqer migrate:", err)
		return 1
	}
	for _, f := range files {
		fmt.Fprintln(stdout, "  "+f)
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
