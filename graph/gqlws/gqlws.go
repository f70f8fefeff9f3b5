// Package gqlws serves GraphQL over WebSocket with the graphql-transport-ws
// subprotocol (the protocol of the graphql-ws library, PROTOCOL.md in
// github.com/enisdenjo/graphql-ws) as a gqlgen transport. Every protocol
// violation ends the socket with the protocol's close code (4400, 4401,
// 4403, 4408, 4409, 4429), so the standard client knows whether to retry.
// Clients that ask only for the older "graphql-ws" subprotocol
// (subscriptions-transport-ws) are handed to Transport.Legacy.
//
// gqlgen's own transport.Websocket (v0.17.98) closes most of these cases
// with 1000 or 1002 and does not check duplicate ids or repeated inits,
// which is why this transport exists.
package gqlws

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/coder/websocket"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// Subprotocol is the WebSocket subprotocol this transport speaks.
const Subprotocol = "graphql-transport-ws"

// legacySubprotocol is subscriptions-transport-ws's name, served by Legacy.
const legacySubprotocol = "graphql-ws"

// Close codes of graphql-transport-ws (PROTOCOL.md) and RFC 6455.
const (
	CloseBadRequest            websocket.StatusCode = 4400 // malformed or unexpected message
	CloseUnauthorized          websocket.StatusCode = 4401 // subscribe before connection_ack
	CloseForbidden             websocket.StatusCode = 4403 // connection_init rejected (bad credentials)
	CloseInitTimeout           websocket.StatusCode = 4408 // no connection_init within InitTimeout
	CloseSubscriberExists      websocket.StatusCode = 4409 // subscribe with an id that is still running
	CloseTooManyInitialisation websocket.StatusCode = 4429 // a second connection_init
	CloseInternalError         websocket.StatusCode = 4500 // the server failed
	CloseGoingAway                                  = websocket.StatusGoingAway
	// CloseTryAgainLater (1013, IANA WebSocket close code registry): the
	// server could not take the connection now, e.g. the credentials were
	// not checked before the operation timeout; clients may reconnect.
	CloseTryAgainLater websocket.StatusCode = 1013
)

// Defaults for a zero Transport.
const (
	DefaultInitTimeout = 10 * time.Second
	DefaultKeepAlive   = 2 * time.Minute
	DefaultReadLimit   = 1 << 20
	writeTimeout       = 10 * time.Second
)

// CloseError is an InitFunc error (returned or wrapped) that closes the
// socket with Code instead of 4403 Forbidden (e.g. 4500 when the server
// failed).
type CloseError struct {
	Code   websocket.StatusCode
	Reason string
}

func (e CloseError) Error() string { return e.Reason }

// Transport is the gqlgen transport for WebSocket upgrade requests.
type Transport struct {
	// InitFunc authenticates a connection from its connection_init
	// payload and returns the context its operations run in (derived from
	// the one given, so closing the socket cancels them); an error closes
	// the socket with 4403 Forbidden, or a CloseError's code. Nil accepts
	// every connection.
	InitFunc transport.WebsocketInitFunc
	// InitTimeout is how long a client has to send connection_init (4408).
	InitTimeout time.Duration
	// KeepAlive bounds how long a silent client stays connected: the
	// server pings every KeepAlive/2, and a connection that has sent
	// nothing (not even a pong) for a whole interval after a ping is
	// closed with 1001 and its operations cancelled. A client that stops
	// answering is therefore gone at most KeepAlive after its last message.
	KeepAlive time.Duration
	// ReadLimit is the largest message accepted, in bytes.
	ReadLimit int64
	// AcceptOptions are passed to websocket.Accept (Subprotocols is set here).
	AcceptOptions websocket.AcceptOptions
	// Legacy serves clients that offer only the "graphql-ws" subprotocol
	// (or none); nil refuses them with 4406 after the upgrade.
	Legacy graphql.Transport
	// Log receives server-side failures (nil: slog.Default()).
	Log *slog.Logger
}

var _ graphql.Transport = Transport{}

// Supports reports whether r asks for a WebSocket upgrade.
func (t Transport) Supports(r *http.Request) bool {
	return strings.EqualFold(r.Header.Get("Upgrade"), "websocket")
}

// Do upgrades r and serves the connection until either side closes it.
func (t Transport) Do(w http.ResponseWriter, r *http.Request, exec graphql.GraphExecutor) {
	if !offers(r, Subprotocol) && t.Legacy != nil {
		t.Legacy.Do(w, r, exec)
		return
	}
	opts := t.AcceptOptions
	opts.Subprotocols = []string{Subprotocol}
	ws, err := websocket.Accept(w, r, &opts)
	if err != nil {
		return // Accept has answered the request
	}
	if ws.Subprotocol() != Subprotocol {
		_ = ws.Close(4406, "Subprotocol not acceptable")
		return
	}
	limit := t.ReadLimit
	if limit <= 0 {
		limit = DefaultReadLimit
	}
	ws.SetReadLimit(limit)
	c := &conn{t: t, ws: ws, exec: exec, headers: r.Header, active: map[string]*operation{}}
	if c.t.Log == nil {
		c.t.Log = slog.Default()
	}
	c.root, c.stop = context.WithCancel(r.Context())
	c.ctx = c.root
	// The request's context ends before the socket only when the server
	// shuts down (it cancels upgraded requests): go away, clients reconnect.
	stop := context.AfterFunc(r.Context(), func() { c.close(CloseGoingAway, "Server shutting down") })
	defer stop()
	c.serve()
}

// offers reports whether the upgrade request lists protocol in
// Sec-WebSocket-Protocol.
func offers(r *http.Request, protocol string) bool {
	for _, h := range r.Header.Values("Sec-WebSocket-Protocol") {
		for _, p := range strings.Split(h, ",") {
			if strings.TrimSpace(p) == protocol {
				return true
			}
		}
	}
	return false
}

// message is one protocol message in either direction.
type message struct {
	ID      string          `json:"id,omitempty"`
	Type    string          `json:"type"`
	Payload json.RawMessage `json:"payload,omitempty"`
}

// conn is one connection's state.
type conn struct {
	t       Transport
	ws      *websocket.Conn
	exec    graphql.GraphExecutor
	headers http.Header

	// root lives as long as the connection; stop ends it and every
	// operation (for instance leaving live rooms). ctx is the context
	// operations start from: root, then InitFunc's (read loop only).
	root context.Context
	stop context.CancelFunc
	ctx  context.Context

	mu        sync.Mutex
	initSeen  bool
	acked     bool
	alive     bool // a message arrived since the last ping
	active    map[string]*operation
	closeOnce sync.Once
}

// serve reads messages until the socket ends.
func (c *conn) serve() {
	defer c.stop()
	initTimeout := c.t.InitTimeout
	if initTimeout <= 0 {
		initTimeout = DefaultInitTimeout
	}
	initTimer := time.AfterFunc(initTimeout, func() {
		c.mu.Lock()
		seen := c.initSeen
		c.mu.Unlock()
		if !seen {
			c.close(CloseInitTimeout, "Connection initialisation timeout")
		}
	})
	defer initTimer.Stop()
	go c.keepAlive()

	// Reads use their own context: cancelling c.ctx must not tear the
	// socket down before the close frame is written.
	for {
		typ, b, err := c.ws.Read(context.Background())
		if err != nil {
			c.close(websocket.StatusNormalClosure, "")
			return
		}
		c.mu.Lock()
		c.alive = true
		c.mu.Unlock()
		if typ != websocket.MessageText {
			c.close(CloseBadRequest, "Invalid message received")
			return
		}
		if !c.handle(b) {
			return
		}
	}
}

// handle acts on one message; false means the connection is closing.
func (c *conn) handle(b []byte) bool {
	var m message
	if err := json.Unmarshal(b, &m); err != nil {
		return c.close(CloseBadRequest, "Invalid message received")
	}
	switch m.Type {
	case "connection_init":
		return c.init(m)
	case "ping":
		c.send(message{Type: "pong"})
	case "pong":
	case "subscribe":
		return c.subscribe(m)
	case "complete":
		c.mu.Lock()
		op := c.active[m.ID]
		delete(c.active, m.ID)
		c.mu.Unlock()
		if op != nil {
			op.cancel()
		}
	default:
		return c.close(CloseBadRequest, truncate("Unexpected message of type "+m.Type+" received"))
	}
	return true
}

func (c *conn) init(m message) bool {
	c.mu.Lock()
	again := c.initSeen
	c.initSeen = true
	c.mu.Unlock()
	if again {
		return c.close(CloseTooManyInitialisation, "Too many initialisation requests")
	}
	payload := transport.InitPayload{}
	if p := bytes.TrimSpace(m.Payload); len(p) > 0 && !bytes.Equal(p, []byte("null")) {
		if err := json.Unmarshal(p, &payload); err != nil {
			return c.close(CloseBadRequest, "Invalid connection_init payload")
		}
	}
	var ack *transport.InitPayload
	if c.t.InitFunc != nil {
		ctx, a, err := c.t.InitFunc(c.ctx, payload)
		var ce CloseError
		switch {
		case errors.As(err, &ce):
			return c.close(ce.Code, truncate(ce.Reason))
		case err != nil:
			return c.close(CloseForbidden, truncate("Forbidden: "+err.Error()))
		}
		c.ctx, ack = ctx, a
	}
	reply := message{Type: "connection_ack"}
	if ack != nil {
		reply.Payload, _ = json.Marshal(ack)
	}
	c.mu.Lock()
	c.acked = true
	c.mu.Unlock()
	c.send(reply)
	return true
}

// subscribePayload is the payload of a subscribe message.
type subscribePayload struct {
	Query         *string        `json:"query"`
	OperationName string         `json:"operationName"`
	Variables     map[string]any `json:"variables"`
	Extensions    map[string]any `json:"extensions"`
}

// decodePayload reads a subscribe payload as gqlgen's HTTP transports read
// a request: numbers stay json.Number, so that an Int, Int64 or Timestamp
// variable arrives as the scalars' unmarshalers expect (plain decoding
// gives float64, which they refuse).
func decodePayload(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	return dec.Decode(v)
}

func (c *conn) subscribe(m message) bool {
	start := graphql.Now()
	c.mu.Lock()
	acked := c.acked
	c.mu.Unlock()
	if !acked {
		return c.close(CloseUnauthorized, "Unauthorized")
	}
	var p subscribePayload
	if m.ID == "" || decodePayload(m.Payload, &p) != nil || p.Query == nil {
		return c.close(CloseBadRequest, "Invalid subscribe message")
	}
	c.mu.Lock()
	if _, dup := c.active[m.ID]; dup {
		c.mu.Unlock()
		return c.close(CloseSubscriberExists, truncate("Subscriber for "+m.ID+" already exists"))
	}
	ctx, cancel := context.WithCancel(graphql.StartOperationTrace(c.ctx))
	op := &operation{id: m.ID, cancel: cancel}
	c.active[m.ID] = op
	c.mu.Unlock()

	params := &graphql.RawParams{
		Query: *p.Query, OperationName: p.OperationName, Variables: p.Variables, Extensions: p.Extensions,
		Headers: c.headers, ReadTime: graphql.TraceTiming{Start: start, End: graphql.Now()},
	}
	rc, errList := c.exec.CreateOperationContext(ctx, params)
	if errList != nil {
		// Refused before execution: an error message, and no complete.
		resp := c.exec.DispatchError(graphql.WithOperationContext(ctx, rc), errList)
		c.finish(op)
		payload, _ := json.Marshal(resp.Errors)
		c.send(message{ID: m.ID, Type: "error", Payload: payload})
		return true
	}
	ctx = graphql.WithOperationContext(ctx, rc)
	go c.run(ctx, op, rc)
	return true
}

// run executes one operation and streams its results.
func (c *conn) run(ctx context.Context, op *operation, rc *graphql.OperationContext) {
	id := op.id
	defer func() {
		if r := recover(); r != nil {
			err := rc.Recover(ctx, r)
			var gqlErr *gqlerror.Error
			if !errors.As(err, &gqlErr) {
				gqlErr = &gqlerror.Error{Message: "internal system error"}
			}
			payload, _ := json.Marshal(gqlerror.List{gqlErr})
			if c.finish(op) {
				c.send(message{ID: id, Type: "error", Payload: payload})
			}
			return
		}
		// Cancelled by the client's complete or by the closing
		// connection: nothing more is sent.
		if c.finish(op) && c.root.Err() == nil {
			c.send(message{ID: id, Type: "complete"})
		}
	}()
	responses, ctx := c.exec.DispatchOperation(ctx, rc)
	for {
		resp := responses(ctx)
		if resp == nil {
			return
		}
		if ctx.Err() != nil {
			return
		}
		b, err := json.Marshal(resp)
		if err != nil {
			panic(fmt.Errorf("encoding a response: %w", err))
		}
		c.send(message{ID: id, Type: "next", Payload: b})
	}
}

// operation is one running subscribe.
type operation struct {
	id     string
	cancel context.CancelFunc
}

// finish removes op from the running operations and cancels it; it
// reports whether op was still running (not completed by the client, whose
// id may already name a newer operation).
func (c *conn) finish(op *operation) bool {
	c.mu.Lock()
	running := c.active[op.id] == op
	if running {
		delete(c.active, op.id)
	}
	c.mu.Unlock()
	op.cancel()
	return running
}

// keepAlive pings every KeepAlive/2 and closes a connection that sent
// nothing since the previous ping.
func (c *conn) keepAlive() {
	every := c.t.KeepAlive
	if every <= 0 {
		every = DefaultKeepAlive
	}
	every /= 2
	tick := time.NewTicker(every)
	defer tick.Stop()
	pinged := false
	for {
		select {
		case <-c.root.Done():
			return
		case <-tick.C:
		}
		c.mu.Lock()
		alive := c.alive
		c.alive = false
		c.mu.Unlock()
		if pinged && !alive {
			c.close(CloseGoingAway, "Pong timeout")
			return
		}
		c.send(message{Type: "ping"})
		pinged = true
	}
}

// send writes m; a failed write closes the connection.
func (c *conn) send(m message) {
	b, err := json.Marshal(m)
	if err != nil {
		c.t.Log.Error("encoding a graphql-transport-ws message", "err", err)
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), writeTimeout)
	defer cancel()
	if err := c.ws.Write(ctx, websocket.MessageText, b); err != nil {
		c.close(CloseGoingAway, "")
	}
}

// close ends every operation (so their resources, such as live-room
// memberships, are released at once) and then closes the socket with code.
// It returns false so handlers can `return c.close(...)`.
func (c *conn) close(code websocket.StatusCode, reason string) bool {
	c.closeOnce.Do(func() {
		c.stop()
		// The close handshake may wait for an unresponsive peer; the
		// operations are already gone.
		go func() { _ = c.ws.Close(code, reason) }()
	})
	return false
}

// truncate keeps a close reason within the 123 bytes a close frame allows,
// as valid UTF-8.
func truncate(s string) string {
	if len(s) > 123 {
		s = strings.ToValidUTF8(s[:123], "")
	}
	return s
}
