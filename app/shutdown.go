package app

import (
	"context"
	"errors"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/coder/websocket"
	"github.com/gin-gonic/gin"
)

// ShutdownTimeout bounds a graceful shutdown (9 s, leaving the binary a
// second to flush traces within the 10 s an orchestrator grants): draining HTTP requests,
// closing sockets, stopping jobs and flushing the push queue.
const ShutdownTimeout = 9 * time.Second

// Serve serves the app on ln until ctx ends, then shuts down gracefully
// within ShutdownTimeout: /readyz turns unavailable, GraphQL and room
// sockets close with 1001 (going away), the listener stops accepting,
// in-flight requests finish, then the app closes (jobs stopped, push queue
// flushed, database closed). Serve always closes the app.
func (a *App) Serve(ctx context.Context, ln net.Listener) error {
	srv := &http.Server{
		Handler:           a.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       120 * time.Second,
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		_ = a.Close()
		return err
	case <-ctx.Done():
	}
	a.log.Info("shutting down", "timeout", ShutdownTimeout)
	sctx, cancel := context.WithTimeout(context.Background(), ShutdownTimeout)
	defer cancel()
	a.goAway()
	err := srv.Shutdown(sctx)
	if err != nil {
		a.log.Warn("requests still running at the shutdown deadline", "err", err)
	}
	if cerr := a.close(sctx); cerr != nil && err == nil {
		err = cerr
	}
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	a.log.Info("stopped")
	return err
}

// goAway starts the shutdown of long-lived work: readiness fails, GraphQL
// sockets close with 1001 and live rooms end their connections (room
// sockets close with 1001 too). It returns at once.
func (a *App) goAway() {
	if a.away.Swap(true) {
		return
	}
	a.health.Drain()
	a.closeSockets()
	a.Live.GoAway()
}

// Close shuts the app down within ShutdownTimeout (see Serve); it may be
// called more than once.
func (a *App) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), ShutdownTimeout)
	defer cancel()
	a.goAway()
	return a.close(ctx)
}

// close stops the jobs and listeners, waits (bounded by ctx) for live-room
// connections, link previews and queued pushes, and closes the database.
func (a *App) close(ctx context.Context) error {
	a.closeOnce.Do(func() {
		a.stop()
		within(ctx, a.jobs.Wait)
		for _, s := range []*http.Server{a.roomSrv, a.metricsSrv} {
			if s != nil {
				_ = s.Close()
			}
		}
		a.Live.Shutdown(ctx) // waits for the connections goAway ended; closes the room bus
		within(ctx, a.previews.Close)
		if err := a.push.Shutdown(ctx); err != nil {
			a.log.Warn("push queue not flushed before the shutdown deadline", "pending", a.push.Depth())
		}
		a.closeErr = a.DB.Close()
	})
	return a.closeErr
}

// within runs f and waits for it until ctx ends.
func within(ctx context.Context, f func()) {
	done := make(chan struct{})
	go func() { f(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
	}
}

// socketsGoAway ties each GraphQL socket to the app's life: when the app
// goes away the socket's context ends, and gqlgen closes it (with 1001,
// see goingAway). Plain requests pass untouched and finish normally.
func (a *App) socketsGoAway(c *gin.Context) {
	if !strings.EqualFold(c.GetHeader("Upgrade"), "websocket") {
		c.Next()
		return
	}
	ctx, cancel := context.WithCancel(c.Request.Context())
	stop := context.AfterFunc(a.sockets, cancel)
	defer func() {
		stop()
		cancel()
	}()
	c.Request = c.Request.WithContext(ctx)
	c.Next()
}

// goingAway makes the GraphQL websocket transport close with 1001 (going
// away) instead of 1000 once the app is shutting down, so clients know to
// reconnect (to another instance).
type goingAway struct {
	transport.WebsocketImplementation
	away *atomic.Bool
}

// Accept wraps the accepted connection.
func (g goingAway) Accept(w http.ResponseWriter, r *http.Request, o transport.WebsocketAcceptOptions) (transport.WebsocketConn, error) {
	c, err := g.WebsocketImplementation.Accept(w, r, o)
	if err != nil {
		return nil, err
	}
	return goingAwayConn{c, g.away}, nil
}

type goingAwayConn struct {
	transport.WebsocketConn
	away *atomic.Bool
}

// WriteClose replaces a normal closure by 1001 during shutdown.
func (c goingAwayConn) WriteClose(code int, msg string) error {
	if c.away.Load() && code == transport.WebsocketCloseNormalClosure {
		code, msg = int(websocket.StatusGoingAway), "server shutting down"
	}
	return c.WebsocketConn.WriteClose(code, msg)
}

// SetReadLimit keeps the transport's payload limit in force.
func (c goingAwayConn) SetReadLimit(limit int64) {
	if l, ok := c.WebsocketConn.(transport.WebsocketReadLimiter); ok {
		l.SetReadLimit(limit)
	}
}

// SetReadDeadline keeps the transport's ping/pong deadline in force.
func (c goingAwayConn) SetReadDeadline(t time.Time) error {
	if d, ok := c.WebsocketConn.(transport.WebsocketReadDeadliner); ok {
		return d.SetReadDeadline(t)
	}
	return nil
}
