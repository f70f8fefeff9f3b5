package health

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

type flag bool

func (f flag) Listening() bool { return bool(f) }

func probe(t *testing.T, c *Checker) (int, Report) {
	t.Helper()
	rec := httptest.NewRecorder()
	c.ReadyHandler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/readyz", nil))
	var rep Report
	if err := json.Unmarshal(rec.Body.Bytes(), &rep); err != nil {
		t.Fatalf("readyz body %q: %v", rec.Body, err)
	}
	return rec.Code, rep
}

func TestReadyNamesTheFailingCheck(t *testing.T) {
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	ok := Check{Name: "database", Run: func(context.Context) error { return nil }}
	broken := Check{Name: "schema", Run: func(context.Context) error { return errors.New("missing tables: rooms") }}
	// A check that never returns on its own is cut at CheckTimeout.
	hung := Check{Name: "slow", Run: func(ctx context.Context) error { <-ctx.Done(); select {} }}

	code, rep := probe(t, New(log, ok, Listening("room_bus", flag(true))))
	if code != http.StatusOK || rep.Status != "ok" || len(rep.Checks) != 2 || len(rep.Failing) != 0 {
		t.Fatalf("all ok: %d %+v", code, rep)
	}

	code, rep = probe(t, New(log, ok, broken, hung, Listening("room_bus", flag(false))))
	if code != http.StatusServiceUnavailable || rep.Status != "unavailable" {
		t.Fatalf("failing: %d %+v", code, rep)
	}
	want := map[string]string{"database": "ok", "schema": "fail", "slow": "timeout", "room_bus": "fail"}
	for _, r := range rep.Checks {
		if want[r.Name] != r.Status {
			t.Errorf("check %s = %s, want %s", r.Name, r.Status, want[r.Name])
		}
	}
	if len(rep.Failing) != 3 {
		t.Errorf("failing = %v, want schema, slow, room_bus", rep.Failing)
	}
	// The answer never carries the error text (unauthenticated endpoint).
	rec := httptest.NewRecorder()
	New(log, broken).ReadyHandler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/readyz", nil))
	if s := rec.Body.String(); strings.Contains(s, "rooms") {
		t.Errorf("readyz leaks the error: %s", s)
	}

	c := New(log, ok)
	c.Drain()
	if code, rep := probe(t, c); code != http.StatusServiceUnavailable || len(rep.Failing) != 1 || rep.Failing[0] != "shutdown" {
		t.Errorf("draining: %d %+v", code, rep)
	}
}

func TestIsProbeMatchesPaths(t *testing.T) {
	for _, p := range Paths() {
		if !IsProbe(p) {
			t.Errorf("IsProbe(%q) = false", p)
		}
	}
	for _, p := range []string{"/", "/livez/", "/readyz/x", "/metricsx", "/graphql", "/LIVEZ"} {
		if IsProbe(p) {
			t.Errorf("IsProbe(%q) = true", p)
		}
	}
}
