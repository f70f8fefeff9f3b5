package observe

import (
	"context"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"go.opentelemetry.io/otel/attribute"
	semconv "go.opentelemetry.io/otel/semconv/v1.40.0"
	"go.opentelemetry.io/otel/trace"

	"chaoqer/app/metrics"
	"chaoqer/ent/entdb"
)

// Routes name the route label of requests whose gin template is not used
// as is.
const (
	RouteGraphQL     = "graphql"
	RouteUnmatched   = "unmatched"
	websocketPrefix  = "websocket:"
	graphQLPath      = "/graphql"
	roomSocketPrefix = "/room-ws/"
)

// Middleware instruments every request after routing: it takes or makes
// the request id (echoed in X-Request-Id), counts its SQL statements,
// names the server span by route template, records the request metrics and
// writes one access-log line (method, route, status, duration, bytes, uid,
// operation, SQL statements; never headers or the query string, which
// carry credentials).
func Middleware(log *slog.Logger) gin.HandlerFunc { return middleware(log, "") }

// RoomListenerMiddleware is Middleware for the room WebSocket's own
// listener (CHAOQER_ROOM_WS_ADDR), whose sockets are at /{roomId}: upgrades
// are labelled websocket:room, anything else unmatched.
func RoomListenerMiddleware(log *slog.Logger) gin.HandlerFunc {
	return middleware(log, RoomSocketRoute)
}

func middleware(log *slog.Logger, upgradeRoute string) gin.HandlerFunc {
	return func(c *gin.Context) {
		start := time.Now()
		req := c.Request
		route := routeOf(c.FullPath(), isUpgrade(req))
		if upgradeRoute != "" {
			route = RouteUnmatched
			if isUpgrade(req) {
				route = upgradeRoute
			}
		}
		ctx, n := entdb.WithCounter(req.Context())
		info := RequestFrom(ctx) // from Begin, in front of the edge
		if info == nil {
			info = &Request{ID: requestID(req.Header.Get(RequestIDHeader))}
			ctx = WithRequest(ctx, info)
			c.Header(RequestIDHeader, info.ID)
		}
		info.Route, info.Statements = route, n
		if span := trace.SpanFromContext(ctx); span.IsRecording() {
			span.SetName(methodOf(req) + " " + route)
			span.SetAttributes(semconv.HTTPRoute(route), attribute.String("http.request.id", info.ID))
		}
		kind, socket := strings.CutPrefix(route, websocketPrefix)
		if socket {
			metrics.WebSocketConnections.WithLabelValues(kind).Inc()
			open := metrics.WebSocketsOpen.WithLabelValues(kind)
			open.Inc()
			defer open.Dec()
		}
		c.Request = req.WithContext(ctx)
		c.Next()

		status := c.Writer.Status()
		if socket && c.Writer.Size() < 0 {
			status = http.StatusSwitchingProtocols // hijacked: gin saw nothing written
		}
		metrics.HTTPRequestSQLStatements.WithLabelValues(route).Observe(float64(n.Load()))
		op, uid := info.operationAndUID()
		record(ctx, log, req, route, status, time.Since(start), n.Load(),
			slog.Int("bytes", max(c.Writer.Size(), 0)),
			slog.String("uid", uid),
			slog.String("operation", op))
	}
}

// record observes a finished request's duration and writes its access line:
// method, route, path, status, duration_ms, the attributes more, then
// sql_statements.
func record(ctx context.Context, log *slog.Logger, r *http.Request, route string, status int, d time.Duration,
	statements int64, more ...slog.Attr) {
	method := methodOf(r)
	metrics.HTTPRequestDuration.WithLabelValues(methodLabel(method), route, strconv.Itoa(status)).Observe(d.Seconds())
	attrs := make([]slog.Attr, 0, 9) // constant: it can stay on the stack
	attrs = append(attrs,
		slog.String("method", method),
		slog.String("route", route),
		slog.String("path", r.URL.Path),
		slog.Int("status", status),
		slog.Float64("duration_ms", float64(d.Microseconds())/1000))
	attrs = append(attrs, more...)
	attrs = append(attrs, slog.Int64("sql_statements", statements))
	log.LogAttrs(ctx, slog.LevelInfo, "request", attrs...)
}

// RouteEdge labels the requests the edge answered itself (refusals): they
// were never routed.
const RouteEdge = "edge"

// Finish writes the access line and the request metrics of a request that
// Begin started, when the edge answered it itself (Answered); a request
// that reached the router was written by Middleware.
func Finish(log *slog.Logger, r *http.Request, info *Request) {
	if info.answered != 0 {
		record(r.Context(), log, r, RouteEdge, info.answered, time.Since(info.start), 0)
	}
}

type headKey struct{}

// AsGet is a HEAD request as the GET it asks about (RFC 9110 §9.3.2: HEAD
// is GET without the content), remembered as HEAD by the access log, the
// metrics and the span name. Serve it on the original ResponseWriter:
// net/http drops the content written for a HEAD request.
func AsGet(r *http.Request) *http.Request {
	g := r.WithContext(context.WithValue(r.Context(), headKey{}, true))
	g.Method = http.MethodGet
	return g
}

// methodOf is the method the client sent.
func methodOf(r *http.Request) string {
	if r.Context().Value(headKey{}) != nil {
		return http.MethodHead
	}
	return r.Method
}

// routeOf is the bounded route label of a gin route template.
func routeOf(template string, upgrade bool) string {
	switch {
	case template == "":
		return RouteUnmatched
	case template == graphQLPath && upgrade:
		return websocketPrefix + "graphql"
	case template == graphQLPath:
		return RouteGraphQL
	case strings.HasPrefix(template, roomSocketPrefix) && upgrade:
		return websocketPrefix + "room"
	}
	return template
}

// RoomSocketRoute is the route label of the legacy room WebSocket.
const RoomSocketRoute = websocketPrefix + "room"

func isUpgrade(r *http.Request) bool {
	return strings.EqualFold(r.Header.Get("Upgrade"), "websocket")
}

func methodLabel(m string) string {
	switch m {
	case http.MethodGet, http.MethodPost, http.MethodPut, http.MethodDelete, http.MethodHead,
		http.MethodOptions, http.MethodPatch:
		return m
	}
	return "OTHER"
}
