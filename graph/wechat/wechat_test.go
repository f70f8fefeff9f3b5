package wechat

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"sync/atomic"
	"testing"
	"time"

	"chaoqer/ent/entdb/entdbtest"
	"chaoqer/graph/errs"
	"chaoqer/graph/kvstore"
)

// The example of the WeChat JS-SDK documentation (appendix 1).
func TestSignatureKnownVector(t *testing.T) {
	got := Signature("sM4AOVdWfPE4DxkXGEs8VMCPGGVi4C3VM0P37wVUCFvkVAy_90u5h9nbSlYy3-Sl-HhTdfl2fzFy1AOcHKP7qg",
		"Wm3WZYTPz0wzccnW", "1414587457", "http://mp.weixin.qq.com?params=value")
	if got != "0f9de62fce790f9a083d5c99e95740ceb90c27ed" {
		t.Fatal(got)
	}
}

// fakeWeChat serves /cgi-bin/token and /cgi-bin/ticket/getticket.
type fakeWeChat struct {
	*httptest.Server
	tokens, tickets atomic.Int64
	// invalidFirst answers the first ticket call with "invalid token".
	invalidFirst atomic.Bool
}

func newFake(t *testing.T) *fakeWeChat {
	f := &fakeWeChat{}
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		switch r.URL.Path {
		case "/cgi-bin/token":
			if q.Get("appid") != "wxapp" || q.Get("secret") != "s3cret" || q.Get("grant_type") != "client_credential" {
				json.NewEncoder(w).Encode(map[string]any{"errcode": 40013, "errmsg": "invalid appid"})
				return
			}
			n := f.tokens.Add(1)
			json.NewEncoder(w).Encode(map[string]any{"access_token": "token" + string(rune('0'+n)), "expires_in": 7200})
		case "/cgi-bin/ticket/getticket":
			f.tickets.Add(1)
			if q.Get("type") != "jsapi" || q.Get("access_token") == "" {
				json.NewEncoder(w).Encode(map[string]any{"errcode": 40001, "errmsg": "bad"})
				return
			}
			if f.invalidFirst.CompareAndSwap(true, false) {
				json.NewEncoder(w).Encode(map[string]any{"errcode": 40001, "errmsg": "invalid credential"})
				return
			}
			json.NewEncoder(w).Encode(map[string]any{"errcode": 0, "errmsg": "ok", "ticket": "ticket-for-" + q.Get("access_token"), "expires_in": 7200})
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(f.Close)
	return f
}

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

func TestJSConfigSharesTheCachedTicket(t *testing.T) {
	fake := newFake(t)
	db := entdbtest.Open(t)
	kv := kvstore.New(db.Client, db.Dialect)
	cfg := Config{AppID: "wxapp", AppSecret: "s3cret", APIBase: fake.URL}
	now := time.Unix(1_700_000_000, 0)
	a, b := New(cfg, kv, quiet), New(cfg, kv, quiet) // two server instances
	for _, c := range []*Client{a, b} {
		c.SetClock(func() time.Time { return now })
	}
	kv.SetClock(func() time.Time { return now })

	page := "https://h5.chaoqer.com/room/26a9bc4b4a524e68b75c46eeb9bf58fa/6ce4443c8fcd4a2b8b407bda86ab4408"
	got, err := a.JSConfig(context.Background(), &page)
	if err != nil {
		t.Fatal(err)
	}
	if got.AppID != "wxapp" || got.Timestamp != "1700000000" || *got.URL != page || !regexp.MustCompile(`^[a-f0-9]{32}$`).MatchString(got.NonceStr) {
		t.Fatalf("config %+v", got)
	}
	if got.Signature != Signature("ticket-for-token1", got.NonceStr, got.Timestamp, page) {
		t.Fatalf("signature %s", got.Signature)
	}
	// The second instance reuses the ticket from the database.
	got2, err := b.JSConfig(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if got2.URL != nil || got2.Signature != Signature("ticket-for-token1", got2.NonceStr, got2.Timestamp, "null") {
		t.Fatalf("config without url %+v", got2)
	}
	if fake.tokens.Load() != 1 || fake.tickets.Load() != 1 {
		t.Fatalf("token calls %d, ticket calls %d", fake.tokens.Load(), fake.tickets.Load())
	}
	// After 7200 s both are fetched again.
	now = now.Add(TokenTTL)
	if _, err := b.JSConfig(context.Background(), &page); err != nil {
		t.Fatal(err)
	}
	if fake.tokens.Load() != 2 || fake.tickets.Load() != 2 {
		t.Fatalf("after expiry: token calls %d, ticket calls %d", fake.tokens.Load(), fake.tickets.Load())
	}
}

func TestInvalidTokenIsRefreshedOnce(t *testing.T) {
	fake := newFake(t)
	db := entdbtest.Open(t)
	kv := kvstore.New(db.Client, db.Dialect)
	c := New(Config{AppID: "wxapp", AppSecret: "s3cret", APIBase: fake.URL}, kv, quiet)
	// A token cached by an instance whose token was since replaced.
	_ = kv.Set(context.Background(), keyAccessToken, "stale", time.Hour)
	fake.invalidFirst.Store(true)
	ticket, err := c.Ticket(context.Background())
	if err != nil || ticket != "ticket-for-token1" {
		t.Fatalf("ticket %q %v", ticket, err)
	}
}

func TestFailures(t *testing.T) {
	fake := newFake(t)
	db := entdbtest.Open(t)
	kv := kvstore.New(db.Client, db.Dialect)
	u := "https://h5.chaoqer.com/"
	_, err := New(Config{}, kv, quiet).JSConfig(context.Background(), &u)
	if !errors.Is(err, ErrNotConfigured) {
		t.Fatalf("without credentials: %v", err)
	}
	_, err = New(Config{AppID: "wxapp", AppSecret: "wrong", APIBase: fake.URL}, kv, quiet).JSConfig(context.Background(), &u)
	if e, ok := errs.As(err); !ok || e != ErrFailed {
		t.Fatalf("bad secret: %v", err)
	}
	_, err = New(Config{AppID: "wxapp", AppSecret: "s3cret", APIBase: "http://127.0.0.1:1"}, kv, quiet).JSConfig(context.Background(), &u)
	if !errors.Is(err, ErrFailed) {
		t.Fatalf("API down: %v", err)
	}
}

// WeChat verifies the signature against the page URL without its fragment:
// a share URL ending in "#/share?x=1" is signed (and answered) without it.
func TestJSConfigDropsTheFragment(t *testing.T) {
	db := entdbtest.Open(t)
	kv := kvstore.New(db.Client, db.Dialect)
	if err := kv.Set(context.Background(), keyTicket, "TICKET", time.Hour); err != nil {
		t.Fatal(err)
	}
	c := New(Config{AppID: "wxapp", AppSecret: "s3cret", APIBase: "http://127.0.0.1:1"}, kv, quiet)
	c.SetClock(func() time.Time { return time.Unix(1_700_000_000, 0) })
	c.nonce = func() string { return "0123456789abcdef0123456789abcdef" }
	for _, page := range []string{
		"https://h5.example.com/room/x#/share?x=1",
		"https://h5.example.com/room/x#",
		"https://h5.example.com/room/x",
	} {
		got, err := c.JSConfig(context.Background(), &page)
		if err != nil {
			t.Fatal(err)
		}
		// SHA-1 of "jsapi_ticket=TICKET&noncestr=0123456789abcdef0123456789abcdef&timestamp=1700000000&url=https://h5.example.com/room/x"
		if *got.URL != "https://h5.example.com/room/x" || got.Signature != "161c832be9b27b993a200e72af92d2067c23e6f8" {
			t.Fatalf("%s: url %q, signature %s", page, *got.URL, got.Signature)
		}
	}
}
