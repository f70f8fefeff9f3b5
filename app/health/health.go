// Package health answers the liveness and readiness probes: GET /livez (the
// process serves HTTP) and GET /readyz (every dependency a request needs is
// usable). Both are unauthenticated, unsigned and cheap; readiness runs its
// checks concurrently, each within CheckTimeout.
package health

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// CheckTimeout bounds each readiness check (issue 11: the database answers
// within 1 s).
const CheckTimeout = time.Second

// Check is one named readiness condition; Run returns nil when it holds.
type Check struct {
	Name string
	Run  func(ctx context.Context) error
}

// Checker runs the readiness checks.
type Checker struct {
	checks   []Check
	log      *slog.Logger
	draining atomic.Bool
}

// New returns a checker of checks, logging failures (with their errors,
// which the unauthenticated answer never carries) to log.
func New(log *slog.Logger, checks ...Check) *Checker {
	return &Checker{checks: checks, log: log}
}

// Drain makes every later readiness probe fail with the check "shutdown":
// load balancers stop sending traffic while in-flight requests finish.
func (c *Checker) Drain() { c.draining.Store(true) }

// Result is one check's outcome in the /readyz answer.
type Result struct {
	Name   string `json:"name"`
	Status string `json:"status"` // "ok", "fail" or "timeout"
}

// Report is the /readyz answer: Status is "ok" or "unavailable"; Failing
// names the failed checks.
type Report struct {
	Status  string   `json:"status"`
	Checks  []Result `json:"checks"`
	Failing []string `json:"failing,omitempty"`
}

// Ready runs every check and reports.
func (c *Checker) Ready(ctx context.Context) Report {
	results := make([]Result, len(c.checks))
	var wg sync.WaitGroup
	for i, ch := range c.checks {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cctx, cancel := context.WithTimeout(ctx, CheckTimeout)
			defer cancel()
			err := runBounded(cctx, ch.Run)
			status := "ok"
			switch {
			case errors.Is(err, context.DeadlineExceeded):
				status = "timeout"
			case err != nil:
				status = "fail"
			}
			if err != nil {
				c.log.WarnContext(ctx, "readiness check failed", "check", ch.Name, "err", err)
			}
			results[i] = Result{Name: ch.Name, Status: status}
		}()
	}
	wg.Wait()
	if c.draining.Load() {
		results = append(results, Result{Name: "shutdown", Status: "fail"})
	}
	r := Report{Status: "ok", Checks: results}
	for _, res := range results {
		if res.Status != "ok" {
			r.Failing = append(r.Failing, res.Name)
		}
	}
	if len(r.Failing) > 0 {
		r.Status = "unavailable"
	}
	return r
}

// runBounded returns when run does or when ctx ends, whichever is first,
// so a check stuck on a dead connection cannot hold the probe.
func runBounded(ctx context.Context, run func(context.Context) error) error {
	done := make(chan error, 1)
	go func() { done <- run(ctx) }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// ReadyHandler serves /readyz: 200 with every check "ok", else 503.
func (c *Checker) ReadyHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rep := c.Ready(r.Context())
		code := http.StatusOK
		if rep.Status != "ok" {
			code = http.StatusServiceUnavailable
		}
		writeJSON(w, code, rep)
	})
}

// LiveHandler serves /livez: 200 whenever the process answers HTTP.
func LiveHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}

// Database checks that the pool answers a trivial query.
func Database(db *sql.DB) Check {
	return Check{Name: "database", Run: func(ctx context.Context) error {
		var one int
		return db.QueryRowContext(ctx, "SELECT 1").Scan(&one)
	}}
}

// SchemaChecker reports whether the database schema is the one this binary
// expects (the app compares the applied migration version).
type SchemaChecker interface {
	CheckSchema(ctx context.Context) error
}

// SchemaCheckFunc adapts a function to SchemaChecker.
type SchemaCheckFunc func(ctx context.Context) error

// CheckSchema calls f.
func (f SchemaCheckFunc) CheckSchema(ctx context.Context) error { return f(ctx) }

// Schema is the readiness check of s.
func Schema(s SchemaChecker) Check {
	return Check{Name: "schema", Run: s.CheckSchema}
}

// Listener is a component that must be receiving for the instance to be
// ready (the room event bus).
type Listener interface {
	Listening() bool
}

// Listening is the readiness check that l is receiving.
func Listening(name string, l Listener) Check {
	return Check{Name: name, Run: func(context.Context) error {
		if !l.Listening() {
			return errors.New("not listening")
		}
		return nil
	}}
}
