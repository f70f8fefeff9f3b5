// Command chaoqer is the backend of the Chaoqer live-audio app: the GraphQL
// API with its Playground at /, and the legacy REST paths of the existing
// mobile apps. Configuration comes from the environment (see README.md).
//
// `chaoqer migrate status|up` reports or applies the schema migrations of
// DATABASE_URL instead of serving.
package main

//go:generate go run -mod=mod ./ent/entc.go
//go:generate go run github.com/99designs/gqlgen generate

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	_ "net/http/pprof" // served only on CHAOQER_PPROF_ADDR
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"
	"time"

	"chaoqer/app"
)

// Garbage-collector defaults, used unless GOGC / GOMEMLIMIT are set: a
// GraphQL response allocates about 1 KB per field, so collecting less often
// buys throughput, while the soft limit keeps the heap bounded.
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
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: cfg.LogLevel}))
	if err := run(cfg, log); err != nil {
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
	defer a.Close()
	if addr := os.Getenv("CHAOQER_PPROF_ADDR"); addr != "" {
		// Profiling on its own listener (keep it on loopback): the Go
		// runtime's /debug/pprof handlers, never on the public address.
		go func() {
			log.Info("pprof listening", "addr", addr)
			if err := http.ListenAndServe(addr, http.DefaultServeMux); err != nil {
				log.Error("pprof listener stopped", "err", err)
			}
		}()
	}

	srv := &http.Server{
		Addr:              cfg.Addr,
		Handler:           a.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       120 * time.Second,
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.ListenAndServe() }()
	log.Info("listening", "addr", cfg.Addr, "playground", "http://localhost"+portOf(cfg.Addr)+"/")

	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
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
