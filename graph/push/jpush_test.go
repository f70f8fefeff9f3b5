package push

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"
)

const (
	testAppKey = "appkey123"
	testMaster = "master-secret-xyz"
)

// call is one request seen by the fake JPush.
type call struct {
	Method, Path, Auth, ContentType string
	Body                            map[string]any
}

// fakeJPush records requests and answers them with reply (nil = 200 {}).
type fakeJPush struct {
	t     *testing.T
	reply func(n int, w http.ResponseWriter, r *http.Request) // n counts from 1

	mu    sync.Mutex
	calls []call
}

func (f *fakeJPush) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	raw, _ := io.ReadAll(r.Body)
	c := call{Method: r.Method, Path: r.URL.Path, Auth: r.Header.Get("Authorization"), ContentType: r.Header.Get("Content-Type")}
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &c.Body); err != nil {
			f.t.Errorf("body is not JSON: %s", raw)
		}
	}
	if user, pass, ok := r.BasicAuth(); !ok || user != testAppKey || pass != testMaster {
		w.WriteHeader(http.StatusUnauthorized)
		_, _ = io.WriteString(w, `{"error":{"code":1004,"message":"Authen failed"}}`)
		return
	}
	f.mu.Lock()
	f.calls = append(f.calls, c)
	n := len(f.calls)
	f.mu.Unlock()
	if f.reply != nil {
		f.reply(n, w, r)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = io.WriteString(w, `{"sendno":"0","msg_id":"54043195528890000"}`)
}

func (f *fakeJPush) seen() []call {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]call(nil), f.calls...)
}

type fixture struct {
	api, device *fakeJPush
	jp          *JPush
	logs        *bytes.Buffer
}

func newFixture(t *testing.T, mod func(*JPushConfig)) *fixture {
	t.Helper()
	f := &fixture{api: &fakeJPush{t: t}, device: &fakeJPush{t: t}, logs: &bytes.Buffer{}}
	api, device := httptest.NewServer(f.api), httptest.NewServer(f.device)
	t.Cleanup(api.Close)
	t.Cleanup(device.Close)
	cfg := JPushConfig{
		AppKey: testAppKey, MasterSecret: testMaster, Env: "test",
		APIURL: api.URL, DeviceURL: device.URL + "/",
		Backoff: time.Millisecond,
	}
	if mod != nil {
		mod(&cfg)
	}
	jp, err := NewJPush(cfg, slog.New(slog.NewTextHandler(f.logs, &slog.HandlerOptions{Level: slog.LevelDebug})))
	if err != nil {
		t.Fatal(err)
	}
	f.jp = jp
	return f
}

// jsonOf normalises v (a literal) to what the fake decoded.
func jsonOf(t *testing.T, v any) map[string]any {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func assertJSON(t *testing.T, got map[string]any, want any) {
	t.Helper()
	if w := jsonOf(t, want); !reflect.DeepEqual(got, w) {
		g, _ := json.MarshalIndent(got, "", "  ")
		e, _ := json.MarshalIndent(w, "", "  ")
		t.Errorf("body\n%s\nwant\n%s", g, e)
	}
}

func onlyCall(t *testing.T, f *fakeJPush, method, path string) call {
	t.Helper()
	calls := f.seen()
	if len(calls) != 1 {
		t.Fatalf("%d calls, want 1: %+v", len(calls), calls)
	}
	c := calls[0]
	if c.Method != method || c.Path != path {
		t.Errorf("call %s %s, want %s %s", c.Method, c.Path, method, path)
	}
	return c
}

func TestJPushAlertInteractive(t *testing.T) {
	f := newFixture(t, func(c *JPushConfig) { c.APNsProduction = true })
	err := f.jp.Alert(context.Background(), "u1", Alert{
		OriginPushType: OriginInteractive, Title: "Alice", Content: "给你发送了一张名片", URL: "chaoqer://profile/a1",
	})
	if err != nil {
		t.Fatal(err)
	}
	c := onlyCall(t, f.api, http.MethodPost, "/v3/push")
	if c.ContentType != "application/json" {
		t.Errorf("content type %q", c.ContentType)
	}
	extras := map[string]any{"url": "chaoqer://profile/a1"}
	assertJSON(t, c.Body, map[string]any{
		"platform": []string{"android", "ios"},
		"audience": map[string]any{"alias": []string{"test_u1"}},
		"notification": map[string]any{
			"android": map[string]any{
				"alert": "给你发送了一张名片", "title": "Alice", "style": 1, "big_text": "给你发送了一张名片", "extras": extras,
			},
			"ios": map[string]any{
				"alert": map[string]any{"title": "", "subtitle": "Alice", "body": "给你发送了一张名片"},
				"sound": "default", "badge": "+1", "content-available": true, "mutable-content": true, "extras": extras,
			},
		},
		"options": map[string]any{"time_to_live": 600, "apns_production": true},
	})
	if len(f.device.seen()) != 0 {
		t.Error("an alert must not call the device API")
	}
}

func TestJPushAlertTimeToLive(t *testing.T) {
	for _, origin := range []int{OriginSystem, OriginOfficial} {
		f := newFixture(t, nil)
		if err := f.jp.Alert(context.Background(), "u2", Alert{OriginPushType: origin, Title: "t", Content: "c", URL: "u"}); err != nil {
			t.Fatal(err)
		}
		opts := onlyCall(t, f.api, http.MethodPost, "/v3/push").Body["options"]
		assertJSON(t, opts.(map[string]any), map[string]any{"time_to_live": 86400, "apns_production": false})
	}
}

func TestJPushAttach(t *testing.T) {
	f := newFixture(t, nil)
	dialog := map[string]any{"title": "T", "content": "C", "cancel": "取消", "confirm": "好", "url": "chaoqer://x"}
	if err := f.jp.Attach(context.Background(), "u3", AttachDialog, dialog); err != nil {
		t.Fatal(err)
	}
	if err := f.jp.Attach(context.Background(), "u3", AttachNewNotification, nil); err != nil {
		t.Fatal(err)
	}
	calls := f.api.seen()
	if len(calls) != 2 {
		t.Fatalf("%d calls, want 2", len(calls))
	}
	for i, want := range []map[string]any{
		{"attachType": 1, "attachBody": dialog},
		{"attachType": 3, "attachBody": map[string]any{}},
	} {
		c := calls[i]
		if c.Method != http.MethodPost || c.Path != "/v3/push" {
			t.Errorf("call %s %s", c.Method, c.Path)
		}
		msg, _ := c.Body["message"].(map[string]any)
		content, _ := msg["msg_content"].(string)
		var got map[string]any
		if err := json.Unmarshal([]byte(content), &got); err != nil {
			t.Fatalf("msg_content %q is not JSON", content)
		}
		assertJSON(t, got, want)
		delete(c.Body, "message")
		assertJSON(t, c.Body, map[string]any{
			"platform":     []string{"android", "ios"},
			"audience":     map[string]any{"alias": []string{"test_u3"}},
			"notification": map[string]any{"alert": ""},
			"options":      map[string]any{"apns_production": false},
		})
	}
}

func TestJPushBindAndUnbind(t *testing.T) {
	f := newFixture(t, nil)
	if err := f.jp.Bind(context.Background(), "u4", "1a0018970a2b3c4d"); err != nil {
		t.Fatal(err)
	}
	calls := f.device.seen()
	if len(calls) != 2 {
		t.Fatalf("%d device calls, want 2: %+v", len(calls), calls)
	}
	if c := calls[0]; c.Method != http.MethodDelete || c.Path != "/v3/aliases/test_u4" || c.Body != nil {
		t.Errorf("first call %s %s %v, want DELETE /v3/aliases/test_u4", c.Method, c.Path, c.Body)
	}
	if c := calls[1]; c.Method != http.MethodPost || c.Path != "/v3/devices/1a0018970a2b3c4d" {
		t.Errorf("second call %s %s, want POST /v3/devices/1a0018970a2b3c4d", c.Method, c.Path)
	} else {
		assertJSON(t, c.Body, map[string]any{"alias": "test_u4"})
	}

	f = newFixture(t, nil)
	if err := f.jp.Unbind(context.Background(), "u5"); err != nil {
		t.Fatal(err)
	}
	onlyCall(t, f.device, http.MethodDelete, "/v3/aliases/test_u5")
	if len(f.api.seen()) != 0 {
		t.Error("unbinding must not call the push API")
	}

	if err := f.jp.Bind(context.Background(), "u5", " "); err == nil {
		t.Error("binding an empty registration id must fail")
	}
}

func reply(status int, body string) func(int, http.ResponseWriter, *http.Request) {
	return func(_ int, w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(status)
		_, _ = io.WriteString(w, body)
	}
}

func TestJPushNoDeviceIsNotAnError(t *testing.T) {
	f := newFixture(t, nil)
	f.api.reply = reply(http.StatusBadRequest, `{"error":{"code":1011,"message":"cannot find user by this audience"},"msg_id":"1"}`)
	f.device.reply = f.api.reply
	ctx := context.Background()
	if err := f.jp.Alert(ctx, "u6", Alert{Title: "t", Content: "c"}); err != nil {
		t.Errorf("alert: %v", err)
	}
	if err := f.jp.Attach(ctx, "u6", AttachLogout, nil); err != nil {
		t.Errorf("attach: %v", err)
	}
	if err := f.jp.Unbind(ctx, "u6"); err != nil {
		t.Errorf("unbind: %v", err)
	}
	if n := len(f.api.seen()); n != 2 {
		t.Errorf("%d push calls, want 2 (1011 is not retried)", n)
	}
}

func TestJPushRequestErrorsAreReturnedWithoutRetry(t *testing.T) {
	f := newFixture(t, nil)
	f.api.reply = reply(http.StatusBadRequest, `{"error":{"code":1003,"message":"audience value must be JSON Array format!"}}`)
	err := f.jp.Alert(context.Background(), "u7", Alert{Title: "t", Content: "c"})
	var je *JPushError
	if !errors.As(err, &je) || je.Status != 400 || je.Code != 1003 || !strings.Contains(je.Message, "audience") {
		t.Fatalf("err = %#v, want a JPushError 400/1003", err)
	}
	if n := len(f.api.seen()); n != 1 {
		t.Errorf("%d calls, want 1", n)
	}

	// A wrong master secret: the fake answers 401/1004.
	f = newFixture(t, func(c *JPushConfig) { c.MasterSecret = "wrong" })
	err = f.jp.Unbind(context.Background(), "u7")
	if !errors.As(err, &je) || je.Status != 401 || je.Code != 1004 {
		t.Fatalf("err = %v, want 401/1004", err)
	}
	if strings.Contains(err.Error(), "wrong") {
		t.Errorf("the error shows the secret: %v", err)
	}

	// A body that is not JSON still gives a readable error.
	f = newFixture(t, nil)
	f.device.reply = reply(http.StatusNotFound, "404 page not found")
	err = f.jp.Unbind(context.Background(), "u7")
	if !errors.As(err, &je) || je.Status != 404 || je.Code != 0 || je.Message != "404 page not found" {
		t.Fatalf("err = %#v", err)
	}
}

func TestJPushRetriesServerErrors(t *testing.T) {
	f := newFixture(t, nil)
	f.api.reply = func(n int, w http.ResponseWriter, _ *http.Request) {
		if n < 3 {
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = io.WriteString(w, `{"error":{"code":1030,"message":"internal service timeout"}}`)
			return
		}
		_, _ = io.WriteString(w, `{"sendno":"0","msg_id":"1"}`)
	}
	if err := f.jp.Alert(context.Background(), "u8", Alert{Title: "t", Content: "c"}); err != nil {
		t.Fatalf("third attempt should succeed: %v", err)
	}
	calls := f.api.seen()
	if len(calls) != 3 || !reflect.DeepEqual(calls[0].Body, calls[2].Body) {
		t.Fatalf("%d calls, want 3 identical", len(calls))
	}

	// Bounded: always 500 gives up after Attempts.
	f = newFixture(t, func(c *JPushConfig) { c.Attempts = 4 })
	f.device.reply = reply(http.StatusInternalServerError, `{"error":{"code":7000,"message":"internal error"}}`)
	err := f.jp.Unbind(context.Background(), "u8")
	var je *JPushError
	if !errors.As(err, &je) || je.Code != 7000 {
		t.Fatalf("err = %v, want 7000", err)
	}
	if n := len(f.device.seen()); n != 4 {
		t.Errorf("%d calls, want 4", n)
	}
}

func TestJPushRetriesConnectionErrors(t *testing.T) {
	f := newFixture(t, nil)
	// The first two connections are dropped without an answer.
	f.api.reply = func(n int, w http.ResponseWriter, _ *http.Request) {
		if n <= 2 {
			conn, _, err := w.(http.Hijacker).Hijack()
			if err == nil {
				conn.Close()
			}
			return
		}
		_, _ = io.WriteString(w, `{"sendno":"0","msg_id":"1"}`)
	}
	if err := f.jp.Attach(context.Background(), "u9", AttachLogout, nil); err != nil {
		t.Fatalf("want success after two dropped connections: %v", err)
	}
	if n := len(f.api.seen()); n != 3 {
		t.Errorf("%d calls, want 3", n)
	}

	// Nothing listening: bounded attempts, then the connection error.
	dead := httptest.NewServer(http.NotFoundHandler())
	dead.Close()
	f = newFixture(t, func(c *JPushConfig) { c.APIURL = dead.URL })
	err := f.jp.Alert(context.Background(), "u9", Alert{Title: "t", Content: "c"})
	var je *JPushError
	if err == nil || errors.As(err, &je) {
		t.Fatalf("err = %v, want a connection error", err)
	}
	if got := strings.Count(f.logs.String(), "jpush: retrying"); got != 2 {
		t.Errorf("%d retries logged, want 2 (3 attempts)", got)
	}
	if strings.Contains(f.logs.String(), testMaster) || strings.Contains(err.Error(), testMaster) {
		t.Error("the master secret leaked")
	}
}

func TestJPushStopsRetryingWhenCancelled(t *testing.T) {
	f := newFixture(t, func(c *JPushConfig) { c.Attempts = 100; c.Backoff = time.Hour })
	f.api.reply = reply(http.StatusServiceUnavailable, `{"error":{"code":1030,"message":"timeout"}}`)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- f.jp.Alert(ctx, "u10", Alert{Title: "t", Content: "c"}) }()
	for len(f.api.seen()) == 0 {
		time.Sleep(time.Millisecond)
	}
	cancel()
	if err := <-done; err == nil {
		t.Fatal("want an error after cancellation")
	}
	if n := len(f.api.seen()); n != 1 {
		t.Errorf("%d calls, want 1", n)
	}
}

func TestNewJPushChecksConfig(t *testing.T) {
	ok := JPushConfig{AppKey: "k", MasterSecret: "s", Env: "prod"}
	for name, mod := range map[string]func(*JPushConfig){
		"no app key":     func(c *JPushConfig) { c.AppKey = "" },
		"no secret":      func(c *JPushConfig) { c.MasterSecret = "" },
		"no env":         func(c *JPushConfig) { c.Env = "" },
		"bad api url":    func(c *JPushConfig) { c.APIURL = "api.jpush.cn" },
		"bad device url": func(c *JPushConfig) { c.DeviceURL = "ftp://device" },
	} {
		c := ok
		mod(&c)
		if _, err := NewJPush(c, nil); err == nil {
			t.Errorf("%s: want an error", name)
		}
	}
	jp, err := NewJPush(ok, nil)
	if err != nil {
		t.Fatal(err)
	}
	if jp.cfg.APIURL != DefaultJPushAPIURL || jp.cfg.DeviceURL != DefaultJPushDeviceURL || jp.Alias("abc") != "prod_abc" {
		t.Errorf("defaults: %+v alias %s", jp.cfg, jp.Alias("abc"))
	}
}
