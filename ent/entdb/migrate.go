package entdb

import (
	"context"
	"crypto/rand"
	stdsql "database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"ariga.io/atlas/sql/migrate"
	"ariga.io/atlas/sql/postgres"
	atlas "ariga.io/atlas/sql/schema"
	"ariga.io/atlas/sql/sqlite"
	"entgo.io/ent/dialect"

	"chaoqer/ent/migrate/migrations"
)

// RevisionsTable records the applied migrations, in the same schema as the
// application's tables. Its name and columns are those of Atlas's own
// revisions table, so the atlas CLI can read it.
const RevisionsTable = "atlas_schema_revisions"

// MigrationDir returns the embedded migration directory of a dialect
// (dialect.SQLite or dialect.Postgres), checked against its atlas.sum. The
// directory is shared: callers must not write to it.
func MigrationDir(dialectName string) (*migrate.MemDir, error) {
	if dialectName == dialect.Postgres {
		return postgresDir()
	}
	return sqliteDir()
}

var (
	sqliteDir   = sync.OnceValues(func() (*migrate.MemDir, error) { return loadDir("sqlite") })
	postgresDir = sync.OnceValues(func() (*migrate.MemDir, error) { return loadDir("postgres") })
)

func loadDir(sub string) (*migrate.MemDir, error) {
	dir, err := CopyDir(migrations.FS, sub)
	if err != nil {
		return nil, err
	}
	if err := migrate.Validate(dir); err != nil {
		return nil, fmt.Errorf("ent/migrate/migrations/%s: atlas.sum does not match the files (edited by hand?): %w", sub, err)
	}
	return dir, nil
}

// CopyDir copies the migration files and atlas.sum of directory sub of fsys
// into a new in-memory directory.
func CopyDir(fsys fs.FS, sub string) (*migrate.MemDir, error) {
	entries, err := fs.ReadDir(fsys, sub)
	if err != nil {
		return nil, fmt.Errorf("reading migrations/%s: %w", sub, err)
	}
	dir := &migrate.MemDir{}
	for _, e := range entries {
		if e.IsDir() {
			continue
		}
		b, err := fs.ReadFile(fsys, sub+"/"+e.Name())
		if err != nil {
			return nil, err
		}
		if err := dir.WriteFile(e.Name(), b); err != nil {
			return nil, err
		}
	}
	return dir, nil
}

// Migrate applies the pending migrations (see Open) and returns the versions
// it applied, oldest first; none when the schema is already current.
func (db *DB) Migrate(ctx context.Context) ([]string, error) {
	dir, err := MigrationDir(db.Dialect)
	if err != nil {
		return nil, err
	}
	return migrator{dialect: db.Dialect, dir: dir, log: db.log}.up(ctx, db.SQL)
}

// MigrationStatus compares the database with the migrations built into this
// binary: current is the newest version applied ("" when none is), expected
// the newest version of the embedded files, pending how many files are not
// applied yet. The schema is at the expected version when pending is 0
// (current is newer than expected when a newer release migrated the
// database and this binary is older; pending is 0 then too). It runs one
// query (two when the revisions table does not exist yet), outside
// the statement counter, so a readiness probe can call it on every request.
// err reports a failing database, never a schema that is behind.
func (db *DB) MigrationStatus(ctx context.Context) (current, expected string, pending int, err error) {
	dir, err := MigrationDir(db.Dialect)
	if err != nil {
		return "", "", 0, err
	}
	files, err := dir.Files()
	if err != nil {
		return "", "", 0, err
	}
	if len(files) > 0 {
		expected = files[len(files)-1].Version()
	}
	revs, err := readRevisionsIfAny(ctx, db.SQL, db.Dialect)
	if err != nil {
		return "", expected, 0, err
	}
	current, pendingFiles := pendingFiles(files, revs)
	return current, expected, len(pendingFiles), nil
}

// PendingMigrations lists the embedded migration files not applied yet.
func (db *DB) PendingMigrations(ctx context.Context) ([]string, error) {
	dir, err := MigrationDir(db.Dialect)
	if err != nil {
		return nil, err
	}
	files, err := dir.Files()
	if err != nil {
		return nil, err
	}
	revs, err := readRevisionsIfAny(ctx, db.SQL, db.Dialect)
	if err != nil {
		return nil, err
	}
	_, pending := pendingFiles(files, revs)
	return pending, nil
}

// pendingFiles returns the newest fully applied version and the names of
// the files after the baseline that are not fully applied.
func pendingFiles(files []migrate.File, revs []*migrate.Revision) (current string, pending []string) {
	done := map[string]bool{}
	var baseline string
	for _, r := range revs {
		if r.Type.Has(migrate.RevisionTypeBaseline) {
			baseline = r.Version
		}
		if r.Type.Has(migrate.RevisionTypeBaseline) || r.Applied == r.Total {
			done[r.Version] = true
			current = max(current, r.Version)
		}
	}
	for _, f := range files {
		if f.Version() > baseline && !done[f.Version()] {
			pending = append(pending, f.Name())
		}
	}
	return current, pending
}

// migrator applies a migration directory to a database.
type migrator struct {
	dialect string
	dir     migrate.Dir
	log     *slog.Logger
}

// up brings the database to the newest version of m.dir. It runs on one
// connection; on PostgreSQL that connection holds an advisory lock, so
// instances starting together apply each file once. Each file runs in its
// own transaction together with its revision row, unless the file carries
// Atlas's `-- atlas:txmode none` directive.
//
// A database that has tables but no migration history was created by the
// auto-migration of releases before versioned migrations: its schema is
// compared with the schema each migration version produces, and the
// earliest version that matches exactly is recorded as the baseline, so
// only the later files run. A schema matching no version is an error
// (nothing is changed).
func (m migrator) up(ctx context.Context, db *stdsql.DB) (applied []string, err error) {
	conn, err := db.Conn(ctx)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	if m.dialect == dialect.Postgres {
		// One lock per schema: the key hashes the schema's name.
		const key = `hashtext('chaoqer.migrate.' || current_schema())`
		if _, err := conn.ExecContext(ctx, "SELECT pg_advisory_lock("+key+")"); err != nil {
			return nil, fmt.Errorf("taking the migration lock: %w", err)
		}
		defer func() {
			// A fresh context: the lock must go even when ctx is done.
			if _, uerr := conn.ExecContext(context.Background(), "SELECT pg_advisory_unlock("+key+")"); uerr != nil {
				err = errors.Join(err, fmt.Errorf("releasing the migration lock: %w", uerr))
			}
		}()
	}
	if _, err := conn.ExecContext(ctx, revisionsDDL(m.dialect)); err != nil {
		return nil, fmt.Errorf("creating %s: %w", RevisionsTable, err)
	}
	rrw := &revisions{q: conn, dialect: m.dialect}
	revs, err := rrw.ReadRevisions(ctx)
	if err != nil {
		return nil, err
	}
	if len(revs) == 0 {
		tables, err := userTables(ctx, conn, m.dialect)
		if err != nil {
			return nil, err
		}
		if len(tables) > 0 {
			f, err := m.baseline(ctx, db, conn)
			if err != nil {
				return nil, err
			}
			r := &migrate.Revision{Version: f.Version(), Description: f.Desc(), Type: migrate.RevisionTypeBaseline, ExecutedAt: time.Now()}
			if err := rrw.WriteRevision(ctx, r); err != nil {
				return nil, err
			}
			m.info("database schema recognized as a migration version; recorded as baseline", "version", f.Version(), "file", f.Name())
		}
	}
	drv, err := m.open(conn)
	if err != nil {
		return nil, err
	}
	ex, err := migrate.NewExecutor(drv, m.dir, rrw)
	if err != nil {
		return nil, err
	}
	pending, err := ex.Pending(ctx)
	if errors.Is(err, migrate.ErrNoPendingFiles) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	for _, f := range pending {
		start := time.Now()
		if err := m.apply(ctx, conn, f); err != nil {
			return applied, fmt.Errorf("applying migration %s: %w", f.Name(), err)
		}
		applied = append(applied, f.Version())
		m.info("applied migration", "version", f.Version(), "file", f.Name(), "duration", time.Since(start))
	}
	return applied, nil
}

func (m migrator) info(msg string, args ...any) {
	if m.log != nil {
		m.log.Info(msg, args...)
	}
}

// apply runs one file and records it, in one transaction unless the file
// opts out. On SQLite, foreign keys are off during the transaction (a table
// rebuild drops and renames tables) and the commit fails if the file left
// rows violating a foreign key, as Atlas's own executor does.
func (m migrator) apply(ctx context.Context, conn *stdsql.Conn, f migrate.File) error {
	if lf, ok := f.(*migrate.LocalFile); ok && slices.Contains(lf.Directive("txmode"), "none") {
		// Statement by statement, progress recorded after each, so a rerun
		// continues where a failure stopped.
		return m.execute(ctx, conn, &revisions{q: conn, dialect: m.dialect}, f)
	}
	fkOn := false
	if m.dialect == dialect.SQLite {
		if err := conn.QueryRowContext(ctx, "PRAGMA foreign_keys").Scan(&fkOn); err != nil {
			return err
		}
		if fkOn {
			if _, err := conn.ExecContext(ctx, "PRAGMA foreign_keys = off"); err != nil {
				return err
			}
		}
	}
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	commit, rollback := tx.Commit, tx.Rollback
	if m.dialect == dialect.SQLite {
		if commit, err = sqlite.CommitFunc(ctx, conn, tx, fkOn); err != nil {
			return errors.Join(err, sqlite.RollbackFunc(ctx, conn, tx, fkOn)())
		}
		rollback = sqlite.RollbackFunc(ctx, conn, tx, fkOn)
	}
	// Inside the transaction only the final revision row matters: the
	// executor's per-statement progress rows would vanish with a rollback.
	rrw := &revisions{q: tx, dialect: m.dialect, deferred: true}
	start := time.Now()
	if err := m.execute(ctx, tx, rrw, f); err != nil {
		return errors.Join(err, rollback())
	}
	if rrw.last != nil {
		// The executor restamps ExecutedAt at every write; record the file's.
		rrw.last.ExecutedAt, rrw.last.ExecutionTime = start, time.Since(start)
	}
	if err := rrw.flush(ctx); err != nil {
		return errors.Join(err, rollback())
	}
	return commit()
}

// execute runs f's pending statements on q with Atlas's executor, which
// records progress in the revisions table through rrw.
func (m migrator) execute(ctx context.Context, q atlas.ExecQuerier, rrw *revisions, f migrate.File) error {
	drv, err := m.open(q)
	if err != nil {
		return err
	}
	ex, err := migrate.NewExecutor(drv, m.dir, rrw)
	if err != nil {
		return err
	}
	return ex.Execute(ctx, f)
}

// open returns Atlas's driver for q. Its CheckClean is answered by up: Atlas
// would inspect every schema of a PostgreSQL database, while this service
// owns only the tables of its own schema.
func (m migrator) open(q atlas.ExecQuerier) (migrate.Driver, error) {
	var (
		drv migrate.Driver
		err error
	)
	if m.dialect == dialect.Postgres {
		drv, err = postgres.Open(q)
	} else {
		drv, err = sqlite.Open(q)
	}
	if err != nil {
		return nil, err
	}
	return checkedClean{drv}, nil
}

type checkedClean struct{ migrate.Driver }

func (checkedClean) CheckClean(context.Context, *migrate.TableIdent) error { return nil }

// baseline returns the earliest migration file whose resulting schema equals
// the schema the connection sees (its revisions table aside). It replays the
// files one by one on a scratch database: an in-memory SQLite database, or a
// temporary schema of the same PostgreSQL database.
func (m migrator) baseline(ctx context.Context, db *stdsql.DB, conn *stdsql.Conn) (migrate.File, error) {
	drv, err := m.open(conn)
	if err != nil {
		return nil, err
	}
	current, err := inspect(ctx, drv)
	if err != nil {
		return nil, err
	}
	scratch, done, err := scratchConn(ctx, m.dialect, db)
	if err != nil {
		return nil, fmt.Errorf("creating a scratch database to identify the schema: %w", err)
	}
	defer done()
	sdrv, err := m.open(scratch)
	if err != nil {
		return nil, err
	}
	files, err := m.dir.Files()
	if err != nil {
		return nil, err
	}
	ex, err := migrate.NewExecutor(sdrv, m.dir, migrate.NopRevisionReadWriter{})
	if err != nil {
		return nil, err
	}
	var changes []atlas.Change
	for _, f := range files {
		if err := ex.Execute(ctx, f); err != nil {
			return nil, fmt.Errorf("replaying %s on the scratch database: %w", f.Name(), err)
		}
		want, err := inspect(ctx, sdrv)
		if err != nil {
			return nil, err
		}
		want.Name, want.Attrs = current.Name, current.Attrs
		if changes, err = drv.SchemaDiff(current, want); err != nil {
			return nil, err
		}
		if len(changes) == 0 {
			return f, nil
		}
	}
	return nil, fmt.Errorf("the database has tables but no %s, and its schema matches no migration version; "+
		"compared with the newest it differs in: %s", RevisionsTable, describeChanges(changes))
}

func inspect(ctx context.Context, drv migrate.Driver) (*atlas.Schema, error) {
	return drv.InspectSchema(ctx, "", &atlas.InspectOptions{Exclude: []string{RevisionsTable}})
}

// describeChanges names what a schema diff would change, briefly.
func describeChanges(changes []atlas.Change) string {
	var parts []string
	for _, c := range changes {
		switch c := c.(type) {
		case *atlas.AddTable:
			parts = append(parts, "missing table "+c.T.Name)
		case *atlas.DropTable:
			parts = append(parts, "extra table "+c.T.Name)
		case *atlas.ModifyTable:
			parts = append(parts, fmt.Sprintf("table %s (%d changes)", c.T.Name, len(c.Changes)))
		default:
			parts = append(parts, fmt.Sprintf("%T", c))
		}
	}
	if len(parts) == 0 {
		return "no migration files"
	}
	return strings.Join(parts, ", ")
}

// userTables lists the tables of the connection's schema, except the
// revisions table.
func userTables(ctx context.Context, q atlas.ExecQuerier, dialectName string) ([]string, error) {
	query := `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'`
	if dialectName == dialect.Postgres {
		query = `SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'`
	}
	rows, err := q.QueryContext(ctx, query)
	if err != nil {
		return nil, fmt.Errorf("listing tables: %w", err)
	}
	defer rows.Close()
	var names []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, err
		}
		if n != RevisionsTable {
			names = append(names, n)
		}
	}
	return names, rows.Err()
}

// scratchConn returns a connection to an empty database of the dialect and
// a function that disposes of it.
func scratchConn(ctx context.Context, dialectName string, db *stdsql.DB) (*stdsql.Conn, func(), error) {
	if dialectName != dialect.Postgres {
		sdb, err := stdsql.Open("sqlite", "file:scratch-"+randomHex()+"?mode=memory&cache=shared&_pragma=foreign_keys(1)")
		if err != nil {
			return nil, nil, err
		}
		conn, err := sdb.Conn(ctx)
		if err != nil {
			return nil, nil, errors.Join(err, sdb.Close())
		}
		// Scratch work is thrown away; a failing Close loses nothing.
		return conn, func() { _ = conn.Close(); _ = sdb.Close() }, nil
	}
	name := "chaoqer_scratch_" + randomHex()
	if _, err := db.ExecContext(ctx, "CREATE SCHEMA "+name); err != nil {
		return nil, nil, err
	}
	drop := func() { _, _ = db.ExecContext(context.Background(), "DROP SCHEMA "+name+" CASCADE") }
	conn, err := db.Conn(ctx)
	if err != nil {
		drop()
		return nil, nil, err
	}
	if _, err := conn.ExecContext(ctx, "SET search_path TO "+name); err != nil {
		conn.Close()
		drop()
		return nil, nil, err
	}
	return conn, func() {
		// Back to the search_path the connection was opened with before it
		// returns to the pool.
		_, _ = conn.ExecContext(context.Background(), "RESET search_path")
		conn.Close()
		drop()
	}, nil
}

func revisionsDDL(dialectName string) string {
	if dialectName == dialect.Postgres {
		return `CREATE TABLE IF NOT EXISTS ` + RevisionsTable + ` (
  version character varying NOT NULL PRIMARY KEY,
  description character varying NOT NULL,
  type bigint NOT NULL DEFAULT 2,
  applied bigint NOT NULL DEFAULT 0,
  total bigint NOT NULL DEFAULT 0,
  executed_at timestamptz NOT NULL,
  execution_time bigint NOT NULL,
  error text NULL,
  error_stmt text NULL,
  hash character varying NOT NULL,
  partial_hashes jsonb NULL,
  operator_version character varying NOT NULL)`
	}
	return `CREATE TABLE IF NOT EXISTS ` + RevisionsTable + ` (
  version text NOT NULL PRIMARY KEY,
  description text NOT NULL,
  type integer NOT NULL DEFAULT 2,
  applied integer NOT NULL DEFAULT 0,
  total integer NOT NULL DEFAULT 0,
  executed_at datetime NOT NULL,
  execution_time integer NOT NULL,
  error text NULL,
  error_stmt text NULL,
  hash text NOT NULL,
  partial_hashes json NULL,
  operator_version text NOT NULL)`
}

// revisions is Atlas's RevisionReadWriter over RevisionsTable, through q (a
// connection or a transaction). A deferred one keeps the last revision
// written in memory until flush.
type revisions struct {
	q        atlas.ExecQuerier
	dialect  string
	deferred bool
	last     *migrate.Revision
}

func (r *revisions) flush(ctx context.Context) error {
	if r.last == nil {
		return nil
	}
	r.deferred = false
	return r.WriteRevision(ctx, r.last)
}

var _ migrate.RevisionReadWriter = (*revisions)(nil)

const revisionColumns = `version, description, type, applied, total, executed_at, execution_time, error, error_stmt, hash, partial_hashes, operator_version`

func (r *revisions) Ident() *migrate.TableIdent { return &migrate.TableIdent{Name: RevisionsTable} }

func (r *revisions) ReadRevisions(ctx context.Context) ([]*migrate.Revision, error) {
	return queryRevisions(ctx, r.q, r.dialect, "SELECT "+revisionColumns+" FROM "+RevisionsTable+" ORDER BY version")
}

func (r *revisions) ReadRevision(ctx context.Context, version string) (*migrate.Revision, error) {
	if r.last != nil && r.last.Version == version {
		c := *r.last
		return &c, nil
	}
	revs, err := queryRevisions(ctx, r.q, r.dialect, "SELECT "+revisionColumns+" FROM "+RevisionsTable+" WHERE version = ?", version)
	if err != nil {
		return nil, err
	}
	if len(revs) == 0 {
		return nil, migrate.ErrRevisionNotExist
	}
	return revs[0], nil
}

func (r *revisions) WriteRevision(ctx context.Context, rev *migrate.Revision) error {
	if r.deferred {
		c := *rev
		r.last = &c
		return nil
	}
	hashes, err := json.Marshal(rev.PartialHashes)
	if err != nil {
		return err
	}
	query := Rebind(r.dialect, "INSERT INTO "+RevisionsTable+" ("+revisionColumns+") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"+
		" ON CONFLICT (version) DO UPDATE SET description = excluded.description, type = excluded.type,"+
		" applied = excluded.applied, total = excluded.total, executed_at = excluded.executed_at,"+
		" execution_time = excluded.execution_time, error = excluded.error, error_stmt = excluded.error_stmt,"+
		" hash = excluded.hash, partial_hashes = excluded.partial_hashes, operator_version = excluded.operator_version")
	_, err = r.q.ExecContext(ctx, query, rev.Version, rev.Description, int64(rev.Type), rev.Applied, rev.Total,
		rev.ExecutedAt.UTC(), int64(rev.ExecutionTime), nullString(rev.Error), nullString(rev.ErrorStmt), rev.Hash,
		string(hashes), rev.OperatorVersion)
	if err != nil {
		return fmt.Errorf("recording migration %s: %w", rev.Version, err)
	}
	return nil
}

func (r *revisions) DeleteRevision(ctx context.Context, version string) error {
	_, err := r.q.ExecContext(ctx, Rebind(r.dialect, "DELETE FROM "+RevisionsTable+" WHERE version = ?"), version)
	return err
}

func nullString(s string) stdsql.NullString { return stdsql.NullString{String: s, Valid: s != ""} }

func queryRevisions(ctx context.Context, q atlas.ExecQuerier, dialectName, query string, args ...any) ([]*migrate.Revision, error) {
	rows, err := q.QueryContext(ctx, Rebind(dialectName, query), args...)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", RevisionsTable, err)
	}
	defer rows.Close()
	var revs []*migrate.Revision
	for rows.Next() {
		var (
			rev             migrate.Revision
			typ, execNanos  int64
			errMsg, errStmt stdsql.NullString
			hashes          stdsql.NullString
		)
		if err := rows.Scan(&rev.Version, &rev.Description, &typ, &rev.Applied, &rev.Total, &rev.ExecutedAt,
			&execNanos, &errMsg, &errStmt, &rev.Hash, &hashes, &rev.OperatorVersion); err != nil {
			return nil, fmt.Errorf("reading %s: %w", RevisionsTable, err)
		}
		rev.Type, rev.ExecutionTime = migrate.RevisionType(typ), time.Duration(execNanos)
		rev.Error, rev.ErrorStmt = errMsg.String, errStmt.String
		if hashes.Valid && hashes.String != "" && hashes.String != "null" {
			if err := json.Unmarshal([]byte(hashes.String), &rev.PartialHashes); err != nil {
				return nil, fmt.Errorf("reading %s: partial_hashes: %w", RevisionsTable, err)
			}
		}
		revs = append(revs, &rev)
	}
	return revs, rows.Err()
}

// readRevisionsIfAny reads the revisions, or none when the table does not
// exist yet.
func readRevisionsIfAny(ctx context.Context, db *stdsql.DB, dialectName string) ([]*migrate.Revision, error) {
	revs, err := queryRevisions(ctx, db, dialectName, "SELECT "+revisionColumns+" FROM "+RevisionsTable+" ORDER BY version")
	if err == nil {
		return revs, nil
	}
	exists := `SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = ?`
	if dialectName == dialect.Postgres {
		exists = `SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = ?`
	}
	var n int
	if qerr := db.QueryRowContext(ctx, Rebind(dialectName, exists), RevisionsTable).Scan(&n); qerr != nil {
		return nil, errors.Join(err, qerr)
	}
	if n == 0 {
		return nil, nil
	}
	return nil, err
}

func randomHex() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
