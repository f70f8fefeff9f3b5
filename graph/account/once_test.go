package account_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"chaoqer/app"
	"chaoqer/graph/account"
	"chaoqer/graph/errs"
	"chaoqer/rest/resttest"
)

// TestOneAuthenticationPerRequest counts the Authorization checks of one
// authenticated legacy GET, one GraphQL POST and one GraphQL WebSocket
// (upgrade and connection_init with the same header): exactly one each,
// both when the edge authenticates for its per-uid limits (the outcome
// travels in the request's context) and when it does not (an exempt
// address). Bad credentials get the same answers either way.
func TestOneAuthenticationPerRequest(t *testing.T) {
	for _, tc := range []struct {
		name      string
		configure func(*app.Config)
	}{
		{"edge authenticates", func(c *app.Config) { c.Edge.Exempt = nil }},
		{"edge does not", func(c *app.Config) {}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := resttest.Start(t, tc.configure)
			accounts := srv.App.Resolver.Accounts
			a := srv.Onboard("Alice")
			once := func(what string, do func()) {
				t.Helper()
				before := account.HeaderChecks(accounts)
				do()
				if n := account.HeaderChecks(accounts) - before; n != 1 {
					t.Errorf("%s: Authorization checked %d times, want 1", what, n)
				}
			}
			once("legacy GET", func() { a.Get("/user/message/unread_total", nil).MustOK(t) })
			once("GraphQL POST", func() {
				if r := a.GraphQL("{ viewer { uid } }", nil); r.HTTP != http.StatusOK || !strings.Contains(string(r.Raw), a.UID) {
					t.Errorf("GraphQL: %s", r)
				}
			})
			once("GraphQL WebSocket", func() { socketInit(t, srv, a.AuthorizationHeader(), "connection_ack") })

			wrong := *a
			wrong.Token = "nope"
			malformed := *a
			malformed.Headers = map[string]string{"Authorization": "Basic !!!"}
			for _, c := range []*resttest.Client{&wrong, &malformed} {
				once("legacy GET, bad credentials", func() {
					if r := c.Get("/user/message/unread_total", nil); r.HTTP != http.StatusUnauthorized || len(r.Raw) != 0 {
						t.Errorf("legacy GET, bad credentials: %s", r)
					}
				})
				once("GraphQL POST, bad credentials", func() {
					r := c.GraphQL("{ viewer { uid } }", nil)
					list, _ := r.Body["errors"].([]any)
					if r.HTTP != http.StatusUnauthorized || len(list) != 1 ||
						list[0].(map[string]any)["extensions"].(map[string]any)["code"] != errs.ExtUnauthenticated {
						t.Errorf("GraphQL POST, bad credentials: %s", r)
					}
				})
			}
			once("GraphQL WebSocket, bad credentials", func() {
				socketInit(t, srv, wrong.AuthorizationHeader(), "closed 4403")
			})
		})
	}
}

// socketInit opens a graphql-transport-ws socket whose upgrade and
// connection_init both carry authorization, and checks the server's
// answer: want is "connection_ack" or "closed <code>".
func socketInit(t *testing.T, srv *resttest.Server, authorization, want string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	conn, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(srv.URL, "http")+"/graphql", &websocket.DialOptions{
		Subprotocols: []string{"graphql-transport-ws"},
		HTTPHeader:   http.Header{"Authorization": {authorization}},
	})
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	defer conn.CloseNow()
	init, _ := json.Marshal(map[string]any{"type": "connection_init", "payload": map[string]any{"Authorization": authorization}})
	if err := conn.Write(ctx, websocket.MessageText, init); err != nil {
		t.Fatal(err)
	}
	got := ""
	if _, b, err := conn.Read(ctx); err != nil {
		got = "closed " + strings.TrimPrefix(websocket.CloseStatus(err).String(), "StatusCode(")
		got = strings.TrimSuffix(got, ")")
	} else {
		var m struct{ Type string }
		_ = json.Unmarshal(b, &m)
		got = m.Type
	}
	if got != want {
		t.Errorf("socket with %q: got %s, want %s", authorization, got, want)
	}
	_ = conn.Close(websocket.StatusNormalClosure, "")
}
