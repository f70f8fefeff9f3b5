// Package entdb opens the database behind the ent client: an embedded SQLite
// file by default, PostgreSQL (lib/pq) for a postgres:// URL. It applies the
// versioned migrations of chaoqer/ent/migrate/migrations at start (see
// Migrate) and counts the SQL statements it runs, so tests can pin how many
// statements a request costs.
package entdb

import (
	"context"
	stdsql "database/sql"
	sqldriver "database/sql/driver"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"
	"github.com/XSAM/otelsql"
	"github.com/lib/pq" // PostgreSQL driver "postgres"
	"go.opentelemetry.io/otel/attribute"
	semconv "go.opentelemetry.io/otel/semconv/v1.40.0"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"
	"modernc.org/sqlite" // pure-Go SQLite driver "sqlite"

	"chaoqer/ent"
)

// DefaultSQLitePath is where the embedded database lives when DATABASE_URL is unset.
const DefaultSQLitePath = "./data/chaoqer.db"

// DB is an open database with its ent client.
type DB struct {
	Client  *ent.Client
	SQL     *stdsql.DB
	Dialect string
	stmts   *stats
	log     *slog.Logger

	prepMu   sync.Mutex
	prepared map[string]*Stmt
}

// IsPostgres reports whether the database is PostgreSQL.
func (db *DB) IsPostgres() bool { return db.Dialect == dialect.Postgres }

// StringList passes a list of strings as one query parameter: a text array
// on PostgreSQL (use `= ANY(?)`), a JSON array on SQLite (use
// `IN (SELECT value FROM json_each(?))`). One statement shape serves any
// number of keys, so it can be prepared once.
func (db *DB) StringList(values []string) any {
	if db.IsPostgres() {
		return pq.StringArray(values)
	}
	b, _ := json.Marshal(values)
	return string(b)
}

// InList is the SQL condition "column is one of the StringList parameter".
func (db *DB) InList(column string) string {
	if db.IsPostgres() {
		return column + " = ANY(?)"
	}
	return column + " IN (SELECT value FROM json_each(?))"
}

// InKeys is the condition "column is one of keys" with its one parameter,
// and the name of its form ("1" or "n") for statements prepared once per
// form (Stmt). One key is compared with "=": PostgreSQL's generic plan of a
// prepared statement (the one it keeps after five executions) assumes a
// list parameter holds about ten values, which makes it hash whole index
// ranges for subqueries meant to probe once, or plan every execution anew.
// More keys use InList with StringList.
func (db *DB) InKeys(column string, keys []string) (form, cond string, arg any) {
	if len(keys) == 1 {
		return "1", column + " = ?", keys[0]
	}
	return "n", db.InList(column), db.StringList(keys)
}

// Statements reports how many SQL statements have run through the client so far.
func (db *DB) Statements() int64 { return db.stmts.Load() }

// Close closes the client and the pool.
func (db *DB) Close() error { return db.Client.Close() }

// Option configures Open.
type Option func(*openOptions)

type openOptions struct {
	tracer         trace.TracerProvider
	skipMigrations bool
	log            *slog.Logger
}

// WithTracerProvider traces every statement (otelsql spans, children of
// the caller's span) with tp; without it the global provider is used.
func WithTracerProvider(tp trace.TracerProvider) Option {
	return func(o *openOptions) { o.tracer = tp }
}

// WithoutMigrations opens the database as it is: pending migrations are not
// applied (CHAOQER_MIGRATE=off, `chaoqer migrate status`).
func WithoutMigrations() Option { return func(o *openOptions) { o.skipMigrations = true } }

// WithLogger logs each migration applied (and a recognized baseline) to log.
func WithLogger(log *slog.Logger) Option { return func(o *openOptions) { o.log = log } }

// Open connects to databaseURL (empty means the embedded SQLite file),
// applies the pending migrations unless WithoutMigrations is given, and
// returns the client. The database/sql driver is wrapped by otelsql, so
// statements appear in traces.
func Open(ctx context.Context, databaseURL string, opts ...Option) (*DB, error) {
	var o openOptions
	for _, opt := range opts {
		opt(&o)
	}
	drv, name, err := openDriver(databaseURL, o)
	if err != nil {
		return nil, err
	}
	db := &DB{SQL: drv.DB(), Dialect: name, stmts: new(stats), log: o.log}
	db.Client = ent.NewClient(ent.Driver(&countingDriver{Driver: drv, n: db.stmts}))
	if !o.skipMigrations {
		if _, err := db.Migrate(ctx); err != nil {
			return nil, errors.Join(fmt.Errorf("migrating schema: %w", err), db.Client.Close())
		}
	}
	return db, nil
}

func openDriver(databaseURL string, o openOptions) (*entsql.Driver, string, error) {
	if path, ok := SQLitePath(databaseURL); ok {
		return openSQLite(path, o)
	}
	switch {
	case strings.HasPrefix(databaseURL, "postgres://"), strings.HasPrefix(databaseURL, "postgresql://"):
		return openPostgres(databaseURL, o)
	default:
		return nil, "", errors.New("DATABASE_URL must be empty, postgres://… or sqlite://path")
	}
}

// SQLitePath is the file an SQLite DATABASE_URL names (sqlite://path,
// file:path, or empty for DefaultSQLitePath); ok is false for any other URL.
func SQLitePath(databaseURL string) (path string, ok bool) {
	switch {
	case databaseURL == "":
		return DefaultSQLitePath, true
	case strings.HasPrefix(databaseURL, "sqlite://"), strings.HasPrefix(databaseURL, "file:"):
		return strings.TrimPrefix(strings.TrimPrefix(databaseURL, "sqlite://"), "file:"), true
	}
	return "", false
}

// openTraced opens a pool whose driver otelsql wraps: one span per
// statement (rows and connection resets are not spanned, to keep traces
// readable and cheap).
func openTraced(driver, dsn string, system attribute.KeyValue, o openOptions) (*stdsql.DB, error) {
	if _, off := o.tracer.(noop.TracerProvider); off {
		return stdsql.Open(driver, dsn) // tracing is off: no wrapper at all
	}
	opts := []otelsql.Option{
		otelsql.WithAttributes(system),
		otelsql.WithSpanOptions(otelsql.SpanOptions{
			OmitRows: true, OmitConnResetSession: true, OmitConnectorConnect: true,
			SpanFilter: inSampledTrace,
		}),
	}
	if o.tracer != nil {
		opts = append(opts, otelsql.WithTracerProvider(o.tracer))
	}
	return otelsql.Open(driver, dsn, opts...)
}

// inSampledTrace lets otelsql span a statement unless it runs inside a
// trace whose sampling decision is already "drop": with the parent-based
// samplers such a span is never recorded, and skipping it spares every
// unsampled request the span's set-up (W3C Trace Context: the sampled flag
// of the parent). Statements outside any trace (jobs) are still offered to
// the sampler.
func inSampledTrace(ctx context.Context, _ otelsql.Method, _ string, _ []sqldriver.NamedValue) bool {
	sc := trace.SpanContextFromContext(ctx)
	return !sc.IsValid() || sc.IsSampled()
}

func openPostgres(databaseURL string, o openOptions) (*entsql.Driver, string, error) {
	sqlDB, err := openTraced("postgres", databaseURL, semconv.DBSystemNamePostgreSQL, o)
	if err != nil {
		return nil, "", fmt.Errorf("opening PostgreSQL: %w", err)
	}
	// lib/pq keeps only 2 idle connections by default and reconnects
	// constantly under load; keep the whole pool warm instead.
	sqlDB.SetMaxOpenConns(32)
	sqlDB.SetMaxIdleConns(32)
	sqlDB.SetConnMaxIdleTime(5 * time.Minute)
	if err := pingWithRetry(sqlDB); err != nil {
		return nil, "", errors.Join(fmt.Errorf("connecting to PostgreSQL: %w", err), sqlDB.Close())
	}
	return entsql.OpenDB(dialect.Postgres, sqlDB), dialect.Postgres, nil
}

func openSQLite(path string, o openOptions) (*entsql.Driver, string, error) {
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o750); err != nil {
			return nil, "", fmt.Errorf("creating database directory: %w", err)
		}
	}
	q := url.Values{}
	q.Add("_pragma", "foreign_keys(1)")
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "busy_timeout(10000)")
	q.Add("_pragma", "synchronous(NORMAL)")
	// Writers take the lock when the transaction begins, so two writers
	// never deadlock upgrading a read lock.
	q.Set("_txlock", "immediate")
	sqlDB, err := openTraced("sqlite", "file:"+path+"?"+q.Encode(), semconv.DBSystemNameSQLite, o)
	if err != nil {
		return nil, "", fmt.Errorf("opening SQLite: %w", err)
	}
	sqlDB.SetMaxOpenConns(8)
	sqlDB.SetMaxIdleConns(8)
	if err := sqlDB.Ping(); err != nil {
		return nil, "", errors.Join(fmt.Errorf("opening SQLite %s: %w", path, err), sqlDB.Close())
	}
	return entsql.OpenDB(dialect.SQLite, sqlDB), dialect.SQLite, nil
}

func pingWithRetry(db *stdsql.DB) error {
	var err error
	for i := 0; i < 20; i++ {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		err = db.PingContext(ctx)
		cancel()
		if err == nil {
			return nil
		}
		time.Sleep(250 * time.Millisecond)
	}
	return err
}

// WithTx runs fn in one transaction: committed when fn returns nil, rolled
// back otherwise (also on panic).
func WithTx(ctx context.Context, client *ent.Client, fn func(tx *ent.Tx) error) (err error) {
	tx, err := client.Tx(ctx)
	if err != nil {
		return fmt.Errorf("starting transaction: %w", err)
	}
	defer func() {
		if p := recover(); p != nil {
			_ = tx.Rollback()
			panic(p)
		}
	}()
	if err = fn(tx); err != nil {
		if rerr := tx.Rollback(); rerr != nil {
			return fmt.Errorf("%w (rollback: %w)", err, rerr)
		}
		return err
	}
	if err = tx.Commit(); err != nil {
		return fmt.Errorf("committing transaction: %w", err)
	}
	return nil
}

// Rebind turns the `?` placeholders of a hand-written query into `$n` for
// PostgreSQL; SQLite accepts `?` as is.
func Rebind(dialectName, query string) string {
	if dialectName != dialect.Postgres {
		return query
	}
	var b strings.Builder
	b.Grow(len(query) + 8)
	n := 0
	for i := 0; i < len(query); i++ {
		if query[i] == '?' {
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteByte(query[i])
	}
	return b.String()
}

// IgnoreConflict clears the error ent reports for an `ON CONFLICT DO
// NOTHING` insert that hit the conflict (no row came back): the row was
// already there, which is what the caller wanted.
func IgnoreConflict(err error) error {
	if errors.Is(err, stdsql.ErrNoRows) {
		return nil
	}
	return err
}

// Canceled reports whether err is the database stopping a statement before
// it finished: the request's context ended (database/sql's context.Canceled
// or DeadlineExceeded), PostgreSQL canceled it (SQLSTATE 57014
// query_canceled: lib/pq's cancel request on a done context, or
// statement_timeout), or SQLite interrupted it (SQLITE_INTERRUPT, 9: the
// driver's interrupt on a done context). Callers answer it as the request
// running out of time, not as a failure of the server.
func Canceled(err error) bool {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return true
	}
	var pqErr *pq.Error
	if errors.As(err, &pqErr) {
		return pqErr.Code == "57014"
	}
	var liteErr *sqlite.Error
	return errors.As(err, &liteErr) && liteErr.Code()&0xff == 9
}
