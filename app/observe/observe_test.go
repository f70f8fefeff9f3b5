package observe

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestRequestID(t *testing.T) {
	for in, keep := range map[string]bool{
		"abc-123":                              true,
		"4bf92f35-77b3-4da6-a3ce-929d0e0e4736": true,
		"":                                     false,
		"has space":                            false,
		"line\nbreak":                          false,
		`quote"`:                               false,
		strings.Repeat("a", 129):               false,
	} {
		got := requestID(in)
		if keep != (got == in) {
			t.Errorf("requestID(%q) = %q, keep=%v", in, got, keep)
		}
		if got == "" {
			t.Errorf("requestID(%q) is empty", in)
		}
	}
}

func TestRouteOf(t *testing.T) {
	for _, c := range []struct {
		template string
		upgrade  bool
		want     string
	}{
		{"/graphql", false, "graphql"},
		{"/graphql", true, "websocket:graphql"},
		{"/room-ws/:roomId", true, "websocket:room"},
		{"/room-ws/:roomId", false, "/room-ws/:roomId"},
		{"/user/:uid/profile", false, "/user/:uid/profile"},
		{"", false, "unmatched"},
	} {
		if got := routeOf(c.template, c.upgrade); got != c.want {
			t.Errorf("routeOf(%q, %v) = %q, want %q", c.template, c.upgrade, got, c.want)
		}
	}
}

func TestLoggerStampsRequestID(t *testing.T) {
	var b bytes.Buffer
	log, err := NewLogger(&b, "json", nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx := WithRequest(context.Background(), &Request{ID: "rid-1"})
	log.With("k", "v").InfoContext(ctx, "inside")
	log.Info("outside")
	lines := strings.Split(strings.TrimSpace(b.String()), "\n")
	if len(lines) != 2 || !strings.Contains(lines[0], `"request_id":"rid-1"`) || strings.Contains(lines[1], "request_id") {
		t.Errorf("lines: %q", lines)
	}
	if _, err := NewLogger(&b, "xml", nil); err == nil {
		t.Error("format xml accepted")
	}
}

func TestAsGetKeepsHeadForLogs(t *testing.T) {
	r := httptest.NewRequest(http.MethodHead, "/livez", nil)
	g := AsGet(r)
	if g.Method != http.MethodGet || methodOf(g) != http.MethodHead || methodOf(r) != http.MethodHead {
		t.Errorf("AsGet: method %s, logged as %s", g.Method, methodOf(g))
	}
	if get := httptest.NewRequest(http.MethodGet, "/livez", nil); methodOf(get) != http.MethodGet {
		t.Errorf("GET logged as %s", methodOf(get))
	}
}
