package edge

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// TestSocketsPerAddressAndUID: connections over a limit are closed with
// 1008 and a reason naming it; a closed connection frees its place.
func TestSocketsPerAddressAndUID(t *testing.T) {
	cfg := Defaults()
	cfg.Exempt = nil
	cfg.Sockets = Sockets{PerAddr: 2, PerUID: 1}
	echo := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ws, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		defer ws.CloseNow()
		for {
			if _, _, err := ws.Read(r.Context()); err != nil {
				return
			}
		}
	})
	identify := func(r *http.Request) (string, context.Context) {
		return strings.TrimPrefix(r.Header.Get("Authorization"), "uid "), r.Context()
	}
	srv := httptest.NewServer(New(cfg, identify).Wrap(echo))
	defer srv.Close()
	url := "ws" + strings.TrimPrefix(srv.URL, "http")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	dial := func(uid string) *websocket.Conn {
		h := http.Header{}
		if uid != "" {
			h.Set("Authorization", "uid "+uid)
		}
		ws, _, err := websocket.Dial(ctx, url, &websocket.DialOptions{HTTPHeader: h})
		if err != nil {
			t.Fatal(err)
		}
		return ws
	}
	closedWith := func(ws *websocket.Conn, reason string) {
		t.Helper()
		_, _, err := ws.Read(ctx)
		var ce websocket.CloseError
		if !errors.As(err, &ce) || ce.Code != websocket.StatusPolicyViolation || ce.Reason != reason {
			t.Fatalf("want close 1008 %q, got %v", reason, err)
		}
	}
	a := dial("u1")
	closedWith(dial("u1"), "too many connections for this account (limit 1)")
	b := dial("")
	closedWith(dial("u2"), "too many connections from this address (limit 2)")
	_ = a.Close(websocket.StatusNormalClosure, "")
	// The server sees the close soon after; until then the place is taken.
	deadline := time.Now().Add(5 * time.Second)
	for {
		ws := dial("u2")
		ws.CloseRead(ctx) // reads, so the pong (or a refusal's close) arrives
		pctx, pcancel := context.WithTimeout(ctx, time.Second)
		err := ws.Ping(pctx)
		pcancel()
		if err == nil {
			_ = ws.Close(websocket.StatusNormalClosure, "")
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the closed connection's place was not freed")
		}
		time.Sleep(10 * time.Millisecond)
	}
	_ = b.Close(websocket.StatusNormalClosure, "")
}
