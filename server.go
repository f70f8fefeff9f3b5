// Command chaoqer is the backend of the Chaoqer live-audio app: the GraphQL
// API with its Playground at /, and the legacy REST paths of the existing
// mobile apps. Configuration comes from the environment (see README.md).
//
// `chaoqer migrate status|up` reports or applies the schema migrations of
// DATABASE_URL instead of serving.
package main

//go:generate go run -mod=mod ./ent/entc.go
//go:generate go run github.com/99designs/gqlgen generate
//go:generate go run ./graph/execrewrite graph/generated.go

import (
	"context"
	"log/slog"
	"net"
	"net/http"
	_ "net/http/pprof" //nolint:gosec // G108: served only on CHAOQER_PPROF_ADDR, never on the public address
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"
	"time"

	"go.opentelemetry.io/otel"

	"chaoqer/app"
	"chaoqer/app/observe"
)

// Garbage-collector defaults, used unless GOGC / GOMEMLIMIT are set:
// collecting less often than Go's 100 buys throughput, within issue 2's
// bound on memory (the signed legacy profile at 32 connections, RSS ≤ 100
// MB; .ci/load/profile.sh on PostgreSQL). Since the Playground's 8 MB build
// is served from the binary instead of a heap copy, the live heap is about
// 6 MB: peak RSS 75-87 MB at 300 (98-106 MB at 200 with the copy), and the
// card and standard feeds serve as many pages as at 200 with the copy
// (.ci/load/versus, A/B, within 5 %). The soft limit keeps the heap bounded
// under the live rooms' fan-out.
const (
	defaultGCPercent   = 300
	defaultMemoryLimit = 128 << 20
)

func main() {
	migrateMain()
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(defaultGCPercent)
	}
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(defaultMemoryLimit)
	}
	cfg, err := app.ConfigFromEnv()
	if err != nil {
		slog.Error("configuration", "err", err)
		os.Exit(2)
	}
	log, err := observe.NewLogger(os.Stderr, cfg.LogFormat, cfg.LogLevel)
	if err != nil {
		slog.Error("configuration", "err", err)
		os.Exit(2)
	}
	slog.SetDefault(log)
	tp, flush, err := observe.TracerProviderFromEnv(context.Background())
	if err != nil {
		log.Error("tracing (OTEL_EXPORTER_OTLP_*)", "err", err)
		os.Exit(2)
	}
	otel.SetTracerProvider(tp)
	otel.SetTextMapPropagator(observe.Propagator)
	cfg.TracerProvider = tp
	err = run(cfg, log)
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	if ferr := flush(ctx); ferr != nil {
		log.Warn("flushing traces", "err", ferr)
	}
	cancel()
	if err != nil {
		log.Error("server stopped", "err", err)
		os.Exit(1)
	}
}

func run(cfg app.Config, log *slog.Logger) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	a, err := app.New(ctx, cfg, log)
	if err != nil {
		return err
	}
	if addr := os.Getenv("CHAOQER_PPROF_ADDR"); addr != "" {
		// Profiling on its own listener (keep it on loopback): the Go
		// runtime's /debug/pprof handlers, never on the public address.
		go func() {
			log.Info("pprof listening", "addr", addr)
			// No read or write timeout: /debug/pprof/profile and /trace stream
			// for as long as asked (?seconds=); a header timeout still ends
			// idle or stalled connections.
			srv := &http.Server{Addr: addr, Handler: http.DefaultServeMux, ReadHeaderTimeout: 10 * time.Second}
			if err := srv.ListenAndServe(); err != nil {
				log.Error("pprof listener stopped", "err", err)
			}
		}()
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		_ = a.Close()
		return err
	}
	log.Info("listening", "addr", cfg.Addr, "playground", "http://localhost"+portOf(cfg.Addr)+"/")
	// On SIGTERM or interrupt: stop accepting, finish in-flight requests,
	// close sockets with 1001, stop jobs, flush pushes (app.ShutdownTimeout).
	return a.Serve(ctx, ln)
}

// portOf returns ":port" of a listen address.
func portOf(addr string) string {
	for i := len(addr) - 1; i >= 0; i-- {
		if addr[i] == ':' {
			return addr[i:]
		}
	}
	return ""
}
