// Package resttest runs the whole server in-process for black-box tests and
// talks to it like the legacy apps (ts + MD5 sign, Basic Authorization,
// envelopes) or like a GraphQL client.
package resttest

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sort"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"chaoqer/app"
	"chaoqer/app/edge"
	"chaoqer/ent"
	"chaoqer/ent/entdb/entdbtest"
	"chaoqer/graph/ids"
	"chaoqer/graph/limits"
	"chaoqer/rest"
)

// Test Agora credentials (the conformance suite's).
const (
	AgoraAppID       = "0123456789abcdef0123456789abcdef"
	AgoraCertificate = "fedcba9876543210fedcba9876543210"
)

// WhiteMobiles are the numbers a test server lets log in with 8888.
var WhiteMobiles = func() []string {
	out := make([]string, 1000)
	for i := range out {
		out[i] = fmt.Sprintf("13800%06d", i)
	}
	return out
}()

// Server is an in-process server on a fresh database.
type Server struct {
	URL     string
	App     *app.App
	t       testing.TB
	mobiles atomic.Int64
	seeded  atomic.Int64
}

// Start starts a server; configure may adjust the configuration.
func Start(t testing.TB, configure ...func(*app.Config)) *Server {
	t.Helper()
	return StartLogged(t, nil, configure...)
}

// StartLogged is Start with the server logging to log (nil = discarded,
// or warnings to the test log with -v).
func StartLogged(t testing.TB, log *slog.Logger, configure ...func(*app.Config)) *Server {
	t.Helper()
	cfg := app.Config{
		Addr:             "127.0.0.1:0",
		DatabaseURL:      entdbtest.URL(t),
		WhiteMobiles:     WhiteMobiles,
		DefaultSecret:    app.DefaultSecret,
		Dev:              true,
		Introspection:    true,
		GraphQL:          limits.Defaults(),
		Edge:             edge.Defaults(),
		Captcha:          app.DefaultCaptchaLimits,
		Env:              "test",
		SessionCacheTTL:  time.Minute, // one instance: long enough that statement counts never include a session reload
		AgoraAppID:       AgoraAppID,
		AgoraCertificate: AgoraCertificate,
		LogLevel:         slog.LevelWarn,
		CountStatements:  true,
	}
	for _, f := range configure {
		f(&cfg)
	}
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
		if testing.Verbose() {
			log = slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))
		}
	}
	a, err := app.New(context.Background(), cfg, log)
	if err != nil {
		t.Fatalf("starting app: %v", err)
	}
	hs := httptest.NewServer(a.Handler())
	t.Cleanup(func() {
		hs.Close()
		// Logged, not failed: the test's verdict is in by now, and tests
		// that check shutdown call Close themselves (it closes once).
		if err := a.Close(); err != nil {
			t.Logf("closing the app: %v", err)
		}
	})
	return &Server{URL: hs.URL, App: a, t: t}
}

// Remote talks to a server running outside the test process (a built
// binary) at url; helpers that need the in-process App (SeedUsers) cannot
// be used with it.
func Remote(t testing.TB, url string) *Server { return &Server{URL: url, t: t} }

type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(string(bytes.TrimRight(p, "\n")))
	return len(p), nil
}

// Mobile returns a whitelisted number not used before on this server.
func (s *Server) Mobile() string {
	return WhiteMobiles[s.mobiles.Add(1)-1]
}

// Anonymous returns a client without a session.
func (s *Server) Anonymous() *Client {
	return &Client{s: s, ClientType: 1, VersionCode: 100}
}

// Login logs a new whitelisted number in (status 0: profile not set up).
func (s *Server) Login() *Client {
	s.t.Helper()
	return s.LoginAs(s.Mobile())
}

// LoginAs logs mobile in with 8888.
func (s *Server) LoginAs(mobile string) *Client {
	s.t.Helper()
	r := s.Anonymous().Post("/account/login/captcha", P{"countryCode": "86", "mobile": mobile, "captcha": "8888"})
	res := r.MustOK(s.t)
	m := res.(map[string]any)
	c := s.Anonymous()
	c.UID, c.Token, c.Secret = m["uid"].(string), m["accessToken"].(string), m["accessSecret"].(string)
	return c
}

// Onboard logs a new number in and initialises its profile.
func (s *Server) Onboard(nickname string) *Client {
	s.t.Helper()
	c := s.Login()
	c.Post("/user/profile/init", P{"nickname": nickname, "avatar": "https://cdn.example.com/" + nickname + ".jpg"}).MustOK(s.t)
	return c
}

// P is a parameter map.
type P = map[string]any

// Client is one app install.
type Client struct {
	s                  *Server
	UID, Token, Secret string
	ClientType         int
	VersionCode        int
	// Headers are added to every request.
	Headers map[string]string
}

// Response is an answer from the server.
type Response struct {
	HTTP    int
	Raw     []byte
	Body    map[string]any
	Headers http.Header
}

// Status is the envelope status (-1 when there is no envelope).
func (r *Response) Status() int {
	if n, ok := r.Body["status"].(json.Number); ok {
		v, _ := n.Int64()
		return int(v)
	}
	return -1
}

// Message is the envelope message.
func (r *Response) Message() string { s, _ := r.Body["message"].(string); return s }

// Result is the envelope result.
func (r *Response) Result() any { return r.Body["result"] }

// ErrorCode is the envelope errorCode (or -999 when absent).
func (r *Response) ErrorCode() int {
	if n, ok := r.Body["errorCode"].(json.Number); ok {
		v, _ := n.Int64()
		return int(v)
	}
	return -999
}

func (r *Response) String() string { return fmt.Sprintf("HTTP %d %s", r.HTTP, r.Raw) }

// MustOK fails the test unless the answer is HTTP 200 status 1; it returns the result.
func (r *Response) MustOK(t testing.TB) any {
	t.Helper()
	if r.HTTP != 200 || r.Status() != 1 {
		t.Fatalf("expected success, got %s", r)
	}
	return r.Result()
}

// MustFail fails the test unless the answer is a failure envelope with
// message (if not "") and errorCode code.
func (r *Response) MustFail(t testing.TB, message string, code int) {
	t.Helper()
	if r.HTTP != 200 || r.Status() != 0 {
		t.Fatalf("expected a failure envelope, got %s", r)
	}
	if message != "" && r.Message() != message {
		t.Fatalf("expected message %q, got %s", message, r)
	}
	if r.ErrorCode() != code {
		t.Fatalf("expected errorCode %d, got %s", code, r)
	}
	if _, ok := r.Body["result"]; ok {
		t.Fatalf("a failure carries no result: %s", r)
	}
}

// Get makes a signed legacy GET call.
func (c *Client) Get(path string, p P) *Response { return c.Call("GET", path, p, nil) }

// Post makes a signed legacy POST call.
func (c *Client) Post(path string, p P) *Response { return c.Call("POST", path, p, nil) }

// Put makes a signed legacy PUT call.
func (c *Client) Put(path string, p P) *Response { return c.Call("PUT", path, p, nil) }

// Delete makes a signed legacy DELETE call.
func (c *Client) Delete(path string, p P) *Response { return c.Call("DELETE", path, p, nil) }

// Call makes a signed legacy call; tamper (if not nil) may change the final
// parameters after signing.
func (c *Client) Call(method, path string, p P, tamper func(P)) *Response {
	params := c.SignedParams(p)
	if tamper != nil {
		tamper(params)
	}
	return c.Send(method, path, params, "application/json")
}

// SignedParams returns a copy of p with ts and the sign made with the
// client's secret (the anonymous secret when it has none).
func (c *Client) SignedParams(p P) P {
	params := P{}
	for k, v := range p {
		params[k] = v
	}
	params["ts"] = time.Now().UnixMilli()
	secret := app.DefaultSecret
	if c.Secret != "" {
		secret = c.Secret
	}
	params["sign"] = rest.Sign(normalise(params), secret)
	return params
}

// normalise gives values the shape the server sees after parsing JSON.
func normalise(p P) map[string]any {
	b, _ := json.Marshal(p)
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var out map[string]any
	_ = dec.Decode(&out)
	return out
}

// Send sends params as a GET query or a JSON body with contentType.
func (c *Client) Send(method, path string, params P, contentType string) *Response {
	var body io.Reader
	target := c.s.URL + path
	query := method == "GET" || method == "HEAD"
	if query {
		q := url.Values{}
		keys := make([]string, 0, len(params))
		for k := range params {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			q.Set(k, queryText(params[k]))
		}
		if len(q) > 0 {
			target += "?" + q.Encode()
		}
	} else {
		b, _ := json.Marshal(params)
		body = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, target, body)
	if !query && contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	return c.Do(req)
}

func queryText(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case int:
		return strconv.Itoa(x)
	case int64:
		return strconv.FormatInt(x, 10)
	default:
		b, _ := json.Marshal(x)
		return string(b)
	}
}

// AuthorizationHeader is the client's Authorization header value.
func (c *Client) AuthorizationHeader() string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(c.UID+":"+c.Token))
}

// Do sends req with the client's headers.
func (c *Client) Do(req *http.Request) *Response {
	req.Header.Set("Client-Type", strconv.Itoa(c.ClientType))
	req.Header.Set("Version-Name", "9.9.9")
	req.Header.Set("Version-Code", strconv.Itoa(c.VersionCode))
	if c.UID != "" {
		req.Header.Set("Authorization", c.AuthorizationHeader())
	}
	for k, v := range c.Headers {
		if v == "" {
			req.Header.Del(k)
			continue
		}
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.s.t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	r := &Response{HTTP: resp.StatusCode, Raw: raw, Headers: resp.Header}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	_ = dec.Decode(&r.Body)
	return r
}

// GraphQL posts a GraphQL request; it returns the decoded body.
func (c *Client) GraphQL(query string, vars map[string]any) *Response {
	b, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	req, _ := http.NewRequest("POST", c.s.URL+"/graphql", bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	return c.Do(req)
}

// Statements is how many SQL statements the request behind r ran.
func (r *Response) Statements() int {
	n, err := strconv.Atoi(r.Headers.Get("X-Sql-Statements"))
	if err != nil {
		return -1
	}
	return n
}

// Pause waits out the duplicate-call window between identical calls.
func Pause() { time.Sleep(600 * time.Millisecond) }

// SeedUsers inserts n ready users (status 1, profile "Seed<i>") directly into
// the database, for tests that need many users; it returns their uids.
func (s *Server) SeedUsers(n int) []string {
	s.t.Helper()
	ctx := context.Background()
	db := s.App.DB.Client
	now := time.Now().UnixMilli()
	uids := make([]string, n)
	accounts := make([]*ent.AccountCreate, n)
	profiles := make([]*ent.ProfileCreate, n)
	for i := range uids {
		uid := ids.New()
		uids[i] = uid
		mobile := fmt.Sprintf("1390%07d", s.seeded.Add(1))
		accounts[i] = db.Account.Create().SetID(uid).SetCountryCode("86").SetMobile(mobile).
			SetMobileMd5(ids.MD5("86:" + mobile)).SetStatus(1).
			SetCreateTime(now).SetUpdateTime(now).SetActiveTime(now)
		profiles[i] = db.Profile.Create().SetID(uid).SetNickname(fmt.Sprintf("Seed%d", i)).
			SetAvatar("https://cdn.example.com/seed.jpg").SetCreateTime(now).SetUpdateTime(now)
	}
	if err := db.Account.CreateBulk(accounts...).Exec(ctx); err != nil {
		s.t.Fatalf("seeding accounts: %v", err)
	}
	if err := db.Profile.CreateBulk(profiles...).Exec(ctx); err != nil {
		s.t.Fatalf("seeding profiles: %v", err)
	}
	return uids
}
