package entdb

import (
	"context"
	stdsql "database/sql"
	"sync/atomic"

	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"
)

// countingDriver counts every statement sent through ent, inside or outside
// transactions: globally, and per request when the context carries a
// counter (see WithCounter).
type countingDriver struct {
	*entsql.Driver
	n *stats
}

// stats are what a DB observes of the statements it runs.
type stats struct {
	atomic.Int64                              // statements run
	watch        atomic.Pointer[func(string)] // see DB.Watch
}

type counterKey struct{}

// WithCounter returns a context whose statements are also counted in the
// returned counter (tests and the statement-count debug header use it).
func WithCounter(ctx context.Context) (context.Context, *atomic.Int64) {
	c := new(atomic.Int64)
	return context.WithValue(ctx, counterKey{}, c), c
}

// CounterFrom returns the counter ctx carries, or nil.
func CounterFrom(ctx context.Context) *atomic.Int64 {
	c, _ := ctx.Value(counterKey{}).(*atomic.Int64)
	return c
}

func count(ctx context.Context, global *stats, query string) {
	global.Add(1)
	if w := global.watch.Load(); w != nil {
		(*w)(query)
	}
	if c, ok := ctx.Value(counterKey{}).(*atomic.Int64); ok {
		c.Add(1)
	}
}

func (d *countingDriver) Exec(ctx context.Context, query string, args, v any) error {
	count(ctx, d.n, query)
	return d.Driver.Exec(ctx, query, args, v)
}

func (d *countingDriver) Query(ctx context.Context, query string, args, v any) error {
	count(ctx, d.n, query)
	return d.Driver.Query(ctx, query, args, v)
}

// ExecContext lets ent's generated client run raw statements (FeatureExecQuery).
func (d *countingDriver) ExecContext(ctx context.Context, query string, args ...any) (stdsql.Result, error) {
	count(ctx, d.n, query)
	return d.Driver.ExecContext(ctx, query, args...)
}

// QueryContext lets ent's generated client run raw queries (FeatureExecQuery).
func (d *countingDriver) QueryContext(ctx context.Context, query string, args ...any) (*stdsql.Rows, error) {
	count(ctx, d.n, query)
	return d.Driver.QueryContext(ctx, query, args...)
}

func (d *countingDriver) Tx(ctx context.Context) (dialect.Tx, error) {
	return d.BeginTx(ctx, nil)
}

// BeginTx starts a counted transaction.
func (d *countingDriver) BeginTx(ctx context.Context, opts *entsql.TxOptions) (dialect.Tx, error) {
	tx, err := d.Driver.BeginTx(ctx, opts)
	if err != nil {
		return nil, err
	}
	return &countingTx{Tx: tx, n: d.n}, nil
}

type countingTx struct {
	dialect.Tx
	n *stats
}

func (t *countingTx) Exec(ctx context.Context, query string, args, v any) error {
	count(ctx, t.n, query)
	return t.Tx.Exec(ctx, query, args, v)
}

func (t *countingTx) Query(ctx context.Context, query string, args, v any) error {
	count(ctx, t.n, query)
	return t.Tx.Query(ctx, query, args, v)
}

// ExecContext runs a raw statement inside the transaction.
func (t *countingTx) ExecContext(ctx context.Context, query string, args ...any) (stdsql.Result, error) {
	count(ctx, t.n, query)
	return t.Tx.(interface {
		ExecContext(context.Context, string, ...any) (stdsql.Result, error)
	}).ExecContext(ctx, query, args...)
}

// QueryContext runs a raw query inside the transaction.
func (t *countingTx) QueryContext(ctx context.Context, query string, args ...any) (*stdsql.Rows, error) {
	count(ctx, t.n, query)
	return t.Tx.(interface {
		QueryContext(context.Context, string, ...any) (*stdsql.Rows, error)
	}).QueryContext(ctx, query, args...)
}

// Stmt is a prepared statement whose executions are counted like ent's.
type Stmt struct {
	stmt  *stdsql.Stmt
	n     *stats
	query string
}

// Prepare prepares a hand-written query (with `?` placeholders) once for the
// pool; hot read paths use it to skip parsing and planning on every call.
func (db *DB) Prepare(ctx context.Context, query string) (*Stmt, error) {
	st, err := db.SQL.PrepareContext(ctx, Rebind(db.Dialect, query))
	if err != nil {
		return nil, err
	}
	return &Stmt{stmt: st, n: db.stmts, query: query}, nil
}

// QueryContext runs the prepared query.
func (s *Stmt) QueryContext(ctx context.Context, args ...any) (*stdsql.Rows, error) {
	count(ctx, s.n, s.query)
	return s.stmt.QueryContext(ctx, args...)
}

// Stmt returns the statement named name, preparing query() on first use and
// keeping it for the pool's life; hot read paths use it to skip parsing and
// planning on every call. A failed prepare is not remembered (the next call
// tries again), and it never runs on a request's context, which a canceled
// request could spoil.
func (db *DB) Stmt(name string, query func() string) (*Stmt, error) {
	db.prepMu.Lock()
	defer db.prepMu.Unlock()
	if st, ok := db.prepared[name]; ok {
		return st, nil
	}
	st, err := db.Prepare(context.Background(), query())
	if err != nil {
		return nil, err
	}
	if db.prepared == nil {
		db.prepared = map[string]*Stmt{}
	}
	db.prepared[name] = st
	return st, nil
}

// Close releases the statement.
func (s *Stmt) Close() error { return s.stmt.Close() }

// Watch calls fn with the text of every statement the database runs from
// now on (with `?` placeholders for prepared ones), until the returned stop
// is called; one watcher at a time. Tests use it to see what was computed.
func (db *DB) Watch(fn func(query string)) (stop func()) {
	db.stmts.watch.Store(&fn)
	return func() { db.stmts.watch.Store(nil) }
}
