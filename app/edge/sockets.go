package edge

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"

	"github.com/coder/websocket"
)

// Sockets bounds the WebSocket connections open at once on this instance,
// per client address and per logged-in uid: from the upgrade request's
// Authorization header, or, for a GraphQL client that logs in later through
// connection_init, when its transport calls ClaimUID.
type Sockets struct {
	PerAddr int // CHAOQER_WS_PER_ADDR
	PerUID  int // CHAOQER_WS_PER_UID
}

// counts holds the open connections by key.
type counts struct {
	mu sync.Mutex
	m  map[string]int
}

// take adds one for key unless that would pass limit.
func (c *counts) take(key string, limit int) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m[key] >= limit {
		return false
	}
	if c.m == nil {
		c.m = map[string]int{}
	}
	c.m[key]++
	return true
}

func (c *counts) give(key string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m[key]--; c.m[key] <= 0 {
		delete(c.m, key)
	}
}

// serveSocket runs next for an upgrade within the connection limits; next
// returns when the connection ends. Over a limit, the upgrade completes
// and the socket is closed at once with 1008 (policy violation) and a
// reason naming the limit, which WebSocket clients (browsers included)
// can show; a plain HTTP refusal would reach a browser as a bare failure.
func (e *Edge) serveSocket(w http.ResponseWriter, c *caller, addr string, next http.Handler) {
	s := e.cfg.Sockets
	uid := ""
	if s.PerUID > 0 {
		uid = c.UID()
	}
	r := c.r
	// Places are taken before the upgrade and a refused socket holds none
	// while its close handshake runs.
	if s.PerAddr > 0 && !e.sockAddrs.take(addr, s.PerAddr) {
		e.cfg.Refused("socket_address")
		e.cfg.Answered(r, http.StatusSwitchingProtocols)
		refuseSocket(w, r, fmt.Sprintf("too many connections from this address (limit %d)", s.PerAddr))
		return
	}
	if uid != "" && !e.sockUIDs.take(uid, s.PerUID) {
		if s.PerAddr > 0 {
			e.sockAddrs.give(addr)
		}
		e.cfg.Refused("socket_uid")
		e.cfg.Answered(r, http.StatusSwitchingProtocols)
		refuseSocket(w, r, fmt.Sprintf("too many connections for this account (limit %d)", s.PerUID))
		return
	}
	claim := &socketClaim{e: e, uid: uid}
	defer func() {
		if s.PerAddr > 0 {
			e.sockAddrs.give(addr)
		}
		claim.release()
	}()
	next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), claimKey{}, claim)))
}

// socketClaim is the uid one counted WebSocket holds a place for ("" while
// none: an anonymous upgrade).
type socketClaim struct {
	e   *Edge
	mu  sync.Mutex
	uid string
}

type claimKey struct{}

// ErrTooManySockets refuses a socket whose uid has CHAOQER_WS_PER_UID open.
type ErrTooManySockets struct{ Limit int }

func (e ErrTooManySockets) Error() string {
	return fmt.Sprintf("too many connections for this account (limit %d)", e.Limit)
}

// ClaimUID counts the WebSocket whose request context is ctx against uid's
// limit, when the upgrade did not (the uid is known only after the
// protocol's own authentication, graphql-transport-ws connection_init). It
// answers ErrTooManySockets when uid already has the limit open; it does
// nothing outside a counted socket (exempt addresses, limit off) or when
// the socket already counts for a uid.
func ClaimUID(ctx context.Context, uid string) error {
	c, _ := ctx.Value(claimKey{}).(*socketClaim)
	if c == nil || uid == "" || c.e.cfg.Sockets.PerUID <= 0 {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.uid != "" {
		return nil
	}
	if !c.e.sockUIDs.take(uid, c.e.cfg.Sockets.PerUID) {
		c.e.cfg.Refused("socket_uid")
		return ErrTooManySockets{Limit: c.e.cfg.Sockets.PerUID}
	}
	c.uid = uid
	return nil
}

func (c *socketClaim) release() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.uid != "" {
		c.e.sockUIDs.give(c.uid)
		c.uid = ""
	}
}

// refuseSocket accepts the upgrade (with the client's first subprotocol, so
// graphql-ws clients read the close) and closes it with reason.
func refuseSocket(w http.ResponseWriter, r *http.Request, reason string) {
	var protocols []string
	if p := r.Header.Get("Sec-WebSocket-Protocol"); p != "" {
		protocols = []string{strings.TrimSpace(strings.Split(p, ",")[0])}
	}
	ws, err := websocket.Accept(w, r, &websocket.AcceptOptions{InsecureSkipVerify: true, Subprotocols: protocols})
	if err != nil {
		return // Accept answered the HTTP request
	}
	_ = ws.Close(websocket.StatusPolicyViolation, reason)
}
