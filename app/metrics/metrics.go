// Package metrics holds the server's Prometheus collectors (names follow
// the Prometheus conventions: chaoqer_ prefix, base units, _total
// counters) and builds the registry /metrics serves.
//
// Event counters are process-wide package variables so that any layer can
// count without plumbing (middleware, gqlgen extensions, provider
// decorators, the rate limiter through RateLimited). Gauges of one
// server's state are read at scrape time from the Sources given to
// NewRegistry. Labels have bounded values only: route templates, known
// operation names, extension codes — never ids.
package metrics

import (
	"database/sql"
	"runtime/debug"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

const namespace = "chaoqer"

// Event collectors, shared by every server of the process.
var (
	// HTTPRequestDuration is the time to answer a request, by method, route
	// template (a legacy route such as /user/:uid/profile, "graphql",
	// "websocket:graphql" or "websocket:room" — a socket's whole life —,
	// "unmatched") and status code.
	HTTPRequestDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Namespace: namespace, Subsystem: "http", Name: "request_duration_seconds",
		Help:    "Time to answer an HTTP request, by method, route template and status.",
		Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
	}, []string{"method", "route", "status"})

	// HTTPRequestSQLStatements is how many SQL statements a request ran.
	HTTPRequestSQLStatements = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Namespace: namespace, Subsystem: "http", Name: "request_sql_statements",
		Help:    "SQL statements run by one HTTP request, by route template.",
		Buckets: []float64{0, 1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 64},
	}, []string{"route"})

	// GraphQLOperations counts executed operations (GraphQL endpoint and
	// legacy routes alike) by operation name — a known name or "other" —
	// and type.
	GraphQLOperations = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: namespace, Subsystem: "graphql", Name: "operations_total",
		Help: "GraphQL operations executed, by operation name (known names, else other) and type.",
	}, []string{"operation", "type"})

	// GraphQLOperationDuration is the time to execute an operation.
	GraphQLOperationDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Namespace: namespace, Subsystem: "graphql", Name: "operation_duration_seconds",
		Help:    "Time to execute a GraphQL query or mutation, by operation name.",
		Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
	}, []string{"operation"})

	// GraphQLErrors counts errors in GraphQL answers by extensions.code.
	GraphQLErrors = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: namespace, Subsystem: "graphql", Name: "errors_total",
		Help: "Errors in GraphQL answers, by extensions.code.",
	}, []string{"code"})

	// GraphQLSubscriptions is the number of running subscriptions.
	GraphQLSubscriptions = prometheus.NewGauge(prometheus.GaugeOpts{
		Namespace: namespace, Subsystem: "graphql", Name: "subscriptions_active",
		Help: "GraphQL subscriptions running.",
	})

	// WebSocketConnections counts accepted WebSocket upgrades by kind
	// ("graphql" subscriptions, "room" legacy room sockets).
	WebSocketConnections = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: namespace, Subsystem: "websocket", Name: "connections_total",
		Help: "WebSocket upgrade requests, by kind (graphql, room).",
	}, []string{"kind"})

	// WebSocketsOpen is the number of open WebSockets by kind.
	WebSocketsOpen = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Namespace: namespace, Subsystem: "websocket", Name: "connections_open",
		Help: "Open WebSockets, by kind (graphql, room).",
	}, []string{"kind"})

	// SMSSends counts login-code SMS by provider and result ("ok", "error").
	SMSSends = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: namespace, Subsystem: "sms", Name: "sends_total",
		Help: "Login-code SMS sends, by provider and result.",
	}, []string{"provider", "result"})

	// RateLimitRefusals counts requests refused by a rate limit, by limit name.
	RateLimitRefusals = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: namespace, Subsystem: "rate_limit", Name: "refusals_total",
		Help: "Requests refused by a rate limit, by limit.",
	}, []string{"limit"})
)

// RateLimited counts one refusal by the named limit (a fixed name such as
// "address" or "captcha_mobile_hourly", never a key).
func RateLimited(limit string) { RateLimitRefusals.WithLabelValues(limit).Inc() }

// Sources are one server's state, read at scrape time. Nil fields are
// left out.
type Sources struct {
	// DB is the pool whose database/sql statistics are exported.
	DB *sql.DB
	// Statements is the number of SQL statements run so far.
	Statements func() int64
	// PushQueueDepth is the number of pushes waiting; PushDropped counts
	// pushes dropped because the queue was full or closed.
	PushQueueDepth func() int
	PushDropped    func() int64
	// OpenRooms is the number of rooms with a member connected to this
	// instance; RoomConnections the members connected (legacy sockets and
	// GraphQL subscriptions).
	OpenRooms       func() int
	RoomConnections func() int
}

// NewRegistry returns a registry with the event collectors above, the
// gauges of src, the Go runtime and process collectors and build info.
func NewRegistry(src Sources) *prometheus.Registry {
	r := prometheus.NewRegistry()
	r.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		collectors.NewBuildInfoCollector(),
		buildInfo(),
		HTTPRequestDuration, HTTPRequestSQLStatements,
		GraphQLOperations, GraphQLOperationDuration, GraphQLErrors, GraphQLSubscriptions,
		WebSocketConnections, WebSocketsOpen, SMSSends, RateLimitRefusals,
	)
	if src.DB != nil {
		r.MustRegister(collectors.NewDBStatsCollector(src.DB, namespace))
	}
	counter := func(name, help string, f func() float64) {
		r.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{Namespace: namespace, Name: name, Help: help}, f))
	}
	gauge := func(name, help string, f func() float64) {
		r.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Namespace: namespace, Name: name, Help: help}, f))
	}
	if f := src.Statements; f != nil {
		counter("sql_statements_total", "SQL statements run.", func() float64 { return float64(f()) })
	}
	if f := src.PushQueueDepth; f != nil {
		gauge("push_queue_depth", "Pushes waiting to be sent.", func() float64 { return float64(f()) })
	}
	if f := src.PushDropped; f != nil {
		counter("push_dropped_total", "Pushes dropped (queue full or closed).", func() float64 { return float64(f()) })
	}
	if f := src.OpenRooms; f != nil {
		gauge("rooms_open", "Live rooms with a member connected to this instance.", func() float64 { return float64(f()) })
	}
	if f := src.RoomConnections; f != nil {
		gauge("room_connections_open", "Members connected to live rooms on this instance (sockets and subscriptions).", func() float64 { return float64(f()) })
	}
	return r
}

// buildInfo is chaoqer_build_info{version,revision,goversion} 1.
func buildInfo() prometheus.Collector {
	version, revision, goVersion := "(devel)", "unknown", "unknown"
	if bi, ok := debug.ReadBuildInfo(); ok {
		goVersion = bi.GoVersion
		if bi.Main.Version != "" {
			version = bi.Main.Version
		}
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" {
				revision = s.Value
			}
		}
	}
	g := prometheus.NewGauge(prometheus.GaugeOpts{
		Namespace: namespace, Name: "build_info",
		Help:        "Build of the running binary (always 1).",
		ConstLabels: prometheus.Labels{"version": version, "revision": revision, "goversion": goVersion},
	})
	g.Set(1)
	return g
}
