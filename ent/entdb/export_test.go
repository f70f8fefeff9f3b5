package entdb

import (
	"context"

	"ariga.io/atlas/sql/migrate"
)

// MigrateDir applies dir instead of the embedded files (tests only).
func (db *DB) MigrateDir(ctx context.Context, dir migrate.Dir) ([]string, error) {
	return migrator{dialect: db.Dialect, dir: dir}.up(ctx, db.SQL)
}

// Revision reads one row of the revisions table (tests only).
func (db *DB) Revision(ctx context.Context, version string) (*migrate.Revision, error) {
	return (&revisions{q: db.SQL, dialect: db.Dialect}).ReadRevision(ctx, version)
}

// Tables lists the tables of the database's schema (tests only).
func (db *DB) Tables(ctx context.Context) ([]string, error) {
	return userTables(ctx, db.SQL, db.Dialect)
}
