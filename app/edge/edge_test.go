package edge

import (
	"bufio"
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// TestTrickledBodyIsCutOff: a body sent a byte at a time is answered 408
// at the read deadline and the handler never runs.
func TestTrickledBodyIsCutOff(t *testing.T) {
	cfg := Defaults()
	cfg.ReadTimeout = 200 * time.Millisecond
	var called atomic.Bool
	srv := httptest.NewServer(New(cfg, nil).Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { called.Store(true) })))
	defer srv.Close()
	conn, err := net.Dial("tcp", srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	start := time.Now()
	if _, err := conn.Write([]byte("POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{")); err != nil {
		t.Fatal(err)
	}
	_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusRequestTimeout || called.Load() {
		t.Errorf("status %d, handler called %v", resp.StatusCode, called.Load())
	}
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("answered after %v", took)
	}
}

// TestBodyCeiling: with the body limit off (0) or set above MaxBodyCeiling,
// a body is still read up to the ceiling only, whatever its content type
// and whether or not it declares its length; the handler sees a body at
// the ceiling whole.
func TestBodyCeiling(t *testing.T) {
	for _, limit := range []int{0, MaxBodyCeiling + 1} {
		var got atomic.Int64
		h := New(Config{MaxBodyBytes: limit}, nil).Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			n, _ := io.Copy(io.Discard, r.Body)
			got.Store(n)
		}))
		for _, size := range []int{MaxBodyCeiling, MaxBodyCeiling + 1} {
			for _, known := range []bool{true, false} {
				got.Store(-1)
				req := httptest.NewRequest("POST", "/user/profile", strings.NewReader(strings.Repeat("x", size)))
				req.Header.Set("Content-Type", "text/plain")
				if !known {
					req.ContentLength = -1
				}
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, req)
				want, wantRead := http.StatusOK, int64(size)
				if size > MaxBodyCeiling {
					want, wantRead = http.StatusRequestEntityTooLarge, -1
				}
				if rec.Code != want || got.Load() != wantRead {
					t.Errorf("limit %d, body %d (length known %v): HTTP %d, handler read %d; want %d, %d",
						limit, size, known, rec.Code, got.Load(), want, wantRead)
				}
			}
		}
	}
}

type learnedKey struct{}

// TestIdentifyOnce: a request with Authorization is identified once, even
// an upgrade that both the rate limit and the socket limit count by uid,
// and the handler gets the context Identify returned; without
// Authorization, or from an exempt address, it is not identified at all.
func TestIdentifyOnce(t *testing.T) {
	cfg := Defaults()
	cfg.Exempt = []netip.Prefix{netip.MustParsePrefix("192.0.2.1/32")}
	var calls atomic.Int64
	e := New(cfg, func(r *http.Request) (string, context.Context) {
		calls.Add(1)
		return "u1", context.WithValue(r.Context(), learnedKey{}, "learned")
	})
	var seen atomic.Value
	h := e.Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		v, _ := r.Context().Value(learnedKey{}).(string)
		seen.Store(v)
	}))
	for _, tc := range []struct {
		name, remote, auth string
		upgrade            bool
		calls              int64
		seen               string
	}{
		{"plain", "198.51.100.1:1", "Basic x", false, 1, "learned"},
		{"upgrade", "198.51.100.1:1", "Basic x", true, 1, "learned"},
		{"anonymous", "198.51.100.1:1", "", false, 0, ""},
		{"exempt", "192.0.2.1:1", "Basic x", false, 0, ""},
	} {
		calls.Store(0)
		seen.Store("none")
		req := httptest.NewRequest("GET", "/graphql", nil)
		req.RemoteAddr = tc.remote
		if tc.auth != "" {
			req.Header.Set("Authorization", tc.auth)
		}
		if tc.upgrade {
			req.Header.Set("Upgrade", "websocket")
		}
		h.ServeHTTP(httptest.NewRecorder(), req)
		if calls.Load() != tc.calls || seen.Load() != tc.seen {
			t.Errorf("%s: identified %d times, handler saw %q; want %d, %q", tc.name, calls.Load(), seen.Load(), tc.calls, tc.seen)
		}
	}
}

// TestUpgradeHasNoDeadline: a WebSocket upgrade reaches its handler with
// its body untouched and no operation deadline.
func TestUpgradeHasNoDeadline(t *testing.T) {
	cfg := Defaults()
	var deadline bool
	h := New(cfg, nil).Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, deadline = r.Context().Deadline()
	}))
	req := httptest.NewRequest("GET", "/graphql", nil)
	req.Header.Set("Upgrade", "websocket")
	h.ServeHTTP(httptest.NewRecorder(), req)
	if deadline {
		t.Error("an upgrade got a deadline")
	}
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/graphql", nil))
	if !deadline {
		t.Error("a plain request got no deadline")
	}
}

func TestClientAddr(t *testing.T) {
	e := New(Config{TrustedProxies: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}}, nil)
	cases := []struct{ remote, xff, want string }{
		{"192.0.2.1:5000", "203.0.113.9", "192.0.2.1"},                          // untrusted peer: header ignored
		{"10.0.0.1:5000", "203.0.113.9", "203.0.113.9"},                         // trusted proxy
		{"10.0.0.1:5000", "198.51.100.1, 203.0.113.9, 10.0.0.2", "203.0.113.9"}, // right-most untrusted
		{"10.0.0.1:5000", "", "10.0.0.1"},
		{"10.0.0.1:5000", "junk", "10.0.0.1"},
		{"[::ffff:192.0.2.7]:1", "", "192.0.2.7"},
	}
	for _, c := range cases {
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr = c.remote
		if c.xff != "" {
			r.Header.Set("X-Forwarded-For", c.xff)
		}
		if got := e.clientAddr(r).String(); got != c.want {
			t.Errorf("%s / %q: %s, want %s", c.remote, c.xff, got, c.want)
		}
	}
}

func TestParseRate(t *testing.T) {
	if r, err := ParseRate("50,200"); err != nil || r != (Rate{50, 200}) {
		t.Errorf("50,200: %v %v", r, err)
	}
	if r, err := ParseRate("0"); err != nil || !r.Off() {
		t.Errorf("0: %v %v", r, err)
	}
	for _, bad := range []string{"", "50", "x,1", "1,0", "-1,5"} {
		if _, err := ParseRate(bad); err == nil || !strings.Contains(err.Error(), "PER_SECOND,BURST") {
			t.Errorf("%q: %v", bad, err)
		}
	}
}

func TestBucketsForgetIdleKeys(t *testing.T) {
	b := newBuckets(Rate{PerSecond: 1, Burst: 2})
	now := time.Now()
	for _, k := range []string{"a", "b", "c"} {
		b.take(k, now)
	}
	b.take("d", now.Add(10*time.Second))
	if len(b.m) != 1 {
		t.Errorf("%d buckets kept, want 1", len(b.m))
	}
}
