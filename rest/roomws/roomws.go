// Package roomws serves the legacy live-room WebSocket protocol of the
// existing apps (spec §4.1–4.5): connect to /{roomId} with
// `Authorization: Basic base64(uid:token)`, then exchange JSON frames. The
// rules live in graph/live; this package only moves frames.
package roomws

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/coder/websocket"

	"chaoqer/graph/ids"
	"chaoqer/graph/live"
	"chaoqer/graph/viewer"
)

// Authenticator checks an Authorization header (account.Service does).
type Authenticator interface {
	AuthenticateHeader(ctx context.Context, header string) (*viewer.Viewer, error)
}

// Config tunes the transport; zero values take the defaults.
type Config struct {
	// IdleTimeout closes a connection that sends nothing for this long
	// (legacy: 120 s; clients send heartbeats).
	IdleTimeout time.Duration
	// MaxFrame bounds a client frame in bytes; a larger one ends the
	// connection (close code 1009).
	MaxFrame int64
	// FramesPerSecond and Burst bound how fast one connection may send;
	// frames over the limit are dropped.
	FramesPerSecond float64
	Burst           float64
}

func (c *Config) defaults() {
	if c.IdleTimeout <= 0 {
		c.IdleTimeout = 120 * time.Second
	}
	if c.MaxFrame <= 0 {
		c.MaxFrame = 16 << 10
	}
	if c.FramesPerSecond <= 0 {
		c.FramesPerSecond = 20
	}
	if c.Burst <= 0 {
		c.Burst = 60
	}
}

// Handler serves room connections.
type Handler struct {
	live *live.Service
	auth Authenticator
	log  *slog.Logger
	cfg  Config
}

// New returns the handler.
func New(svc *live.Service, auth Authenticator, log *slog.Logger, cfg Config) *Handler {
	cfg.defaults()
	return &Handler{live: svc, auth: auth, log: log, cfg: cfg}
}

// ServeHTTP serves the original listener's shape: the room id is everything
// after the first '/' of the path.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h.Serve(w, r, strings.TrimPrefix(r.URL.Path, "/"))
}

const writeTimeout = 10 * time.Second

// Serve upgrades r and runs the connection of the caller to roomID.
func (h *Handler) Serve(w http.ResponseWriter, r *http.Request, roomID string) {
	ws, err := websocket.Accept(w, r, &websocket.AcceptOptions{
		// The apps authenticate with a header, never with cookies, so a
		// foreign page cannot ride on a browser's credentials.
		InsecureSkipVerify: true,
	})
	if err != nil {
		return // Accept already answered the HTTP request
	}
	ws.SetReadLimit(h.cfg.MaxFrame)
	ctx := context.WithoutCancel(r.Context())

	uid, ok := h.authenticate(ctx, r.Header.Get("Authorization"))
	if !ok || !ids.Valid(roomID) {
		h.reject(ctx, ws)
		return
	}
	c, err := h.live.Connect(ctx, roomID, uid)
	if err != nil {
		if !errors.Is(err, live.ErrRoomClosed) {
			h.log.WarnContext(ctx, "room websocket: joining", "room", roomID, "err", err)
		}
		h.reject(ctx, ws)
		return
	}
	defer h.live.Disconnect(ctx, c)

	readDone, writerDone := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(writerDone)
		h.write(ctx, ws, c, readDone)
	}()
	h.read(ctx, ws, c)
	close(readDone)
	_ = ws.CloseNow()
	<-writerDone
}

// authenticate accepts normal accounts with a valid session only (spec
// §12 S7: frozen or profile-less accounts may not join).
func (h *Handler) authenticate(ctx context.Context, header string) (string, bool) {
	if header == "" {
		return "", false
	}
	v, err := h.auth.AuthenticateHeader(ctx, header)
	if err != nil || !v.Initialized() {
		return "", false
	}
	return v.UID, true
}

// reject sends {"event":"close"} and closes the socket after the grace.
func (h *Handler) reject(ctx context.Context, ws *websocket.Conn) {
	wctx, cancel := context.WithTimeout(ctx, writeTimeout)
	_ = ws.Write(wctx, websocket.MessageText, []byte(`{"event":"close"}`))
	cancel()
	// Drain (and answer pings and the close handshake) during the grace.
	rctx := ws.CloseRead(ctx)
	select {
	case <-time.After(h.live.Config().CloseGrace):
	case <-rctx.Done():
	}
	_ = ws.Close(websocket.StatusNormalClosure, "")
}

// read handles client frames until the socket fails, goes idle, or the
// server ends the connection.
func (h *Handler) read(ctx context.Context, ws *websocket.Conn, c *live.Conn) {
	lim := limiter{rate: h.cfg.FramesPerSecond, burst: h.cfg.Burst, tokens: h.cfg.Burst, last: time.Now()}
	for {
		// An expired read context closes the socket: the idle timeout.
		// When the server ends the connection, the writer closes the
		// socket, which ends this read too.
		rctx, cancel := context.WithTimeout(ctx, h.cfg.IdleTimeout)
		typ, data, err := ws.Read(rctx)
		cancel()
		if err != nil {
			return
		}
		if typ != websocket.MessageText || !lim.allow(time.Now()) {
			continue
		}
		f, ok := live.ParseFrame(data)
		if !ok {
			continue
		}
		if _, err := h.live.Handle(ctx, c.Room, c.UID, f); err != nil {
			h.log.WarnContext(ctx, "room websocket: handling a frame", "room", c.Room, "event", f.Event, "err", err)
		}
	}
}

// write sends queued messages until the server ends the connection or
// the reader stops.
func (h *Handler) write(ctx context.Context, ws *websocket.Conn, c *live.Conn, readDone <-chan struct{}) {
	for {
		select {
		case <-readDone:
			return
		case m := <-c.Out():
			wctx, cancel := context.WithTimeout(ctx, writeTimeout)
			err := ws.Write(wctx, websocket.MessageText, m)
			cancel()
			if err != nil {
				_ = ws.CloseNow()
				return
			}
		case <-c.Done():
			if h.live.ShuttingDown() {
				// The client should reconnect, to another instance.
				_ = ws.Close(websocket.StatusGoingAway, "server shutting down")
			} else {
				_ = ws.Close(websocket.StatusNormalClosure, "")
			}
			return
		}
	}
}

// limiter is a token bucket: rate frames per second, up to burst at once.
type limiter struct {
	rate, burst, tokens float64
	last                time.Time
}

func (l *limiter) allow(now time.Time) bool {
	l.tokens += now.Sub(l.last).Seconds() * l.rate
	if l.tokens > l.burst {
		l.tokens = l.burst
	}
	l.last = now
	if l.tokens < 1 {
		return false
	}
	l.tokens--
	return true
}
