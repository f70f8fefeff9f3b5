package observe

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"time"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"chaoqer/graph/linkpreview"
)

// TestTransport: an outgoing call through Transport is a client span of the
// caller's trace and carries it in traceparent; wrapping the link-preview
// transport keeps its SSRF guard (the guard is in the dialer).
func TestTransport(t *testing.T) {
	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
	got := make(chan string, 4)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got <- r.Header.Get("traceparent")
		w.Header().Set("Content-Type", "text/html")
		_, _ = w.Write([]byte(`<html><head><title>t</title></head></html>`))
	}))
	defer srv.Close()
	ctx, parent := tp.Tracer("test").Start(context.Background(), "parent")
	traceID := parent.SpanContext().TraceID().String()

	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL, nil)
	res, err := (&http.Client{Transport: Transport(nil, tp)}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if tp := <-got; !strings.Contains(tp, traceID) {
		t.Errorf("traceparent %q lacks the trace %s", tp, traceID)
	}
	client := false
	for _, sp := range exp.GetSpans() {
		if sp.SpanKind == trace.SpanKindClient && sp.Parent.SpanID() == parent.SpanContext().SpanID() {
			client = true
		}
	}
	if !client {
		t.Error("no client span under the caller's span")
	}

	wrap := func(rt http.RoundTripper) http.RoundTripper { return Transport(rt, tp) }
	guarded := linkpreview.NewFetcher(linkpreview.Options{WrapTransport: wrap})
	if _, err := guarded.Fetch(ctx, srv.URL+"/"); err == nil {
		t.Error("the wrapped link-preview fetcher reached a loopback address")
	}
	addr := netip.MustParseAddrPort(strings.TrimPrefix(srv.URL, "http://"))
	allowed := linkpreview.NewFetcher(linkpreview.Options{WrapTransport: wrap,
		Allow: func(ap netip.AddrPort) bool { return ap == addr }})
	_, _ = allowed.Fetch(ctx, srv.URL+"/")
	select {
	case tp := <-got:
		if !strings.Contains(tp, traceID) {
			t.Errorf("link preview traceparent %q", tp)
		}
	default:
		t.Error("the allowed fetch never reached the server")
	}
}

// TestTracingOffWithoutEndpoint: without OTEL_EXPORTER_OTLP_* the provider
// is a no-op and no wrapper is installed; with an endpoint it records.
func TestTracingOffWithoutEndpoint(t *testing.T) {
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "")
	t.Setenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "")
	tp, shutdown, err := TracerProviderFromEnv(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer func(shutdown func(context.Context) error) {
		if err := shutdown(context.Background()); err != nil {
			t.Errorf("no-op provider's shutdown: %v", err)
		}
	}(shutdown)
	if Enabled(tp) {
		t.Error("tracing on without an endpoint")
	}
	h := http.NotFoundHandler()
	if got := Handler(h, tp); got == nil || Transport(http.DefaultTransport, tp) != http.DefaultTransport {
		t.Error("wrappers installed while tracing is off")
	}

	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:18509") // nothing listens: spans are dropped
	tp, shutdown, err = TracerProviderFromEnv(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		defer cancel()
		_ = shutdown(ctx)
	}()
	_, span := tp.Tracer("t").Start(context.Background(), "x")
	if !Enabled(tp) || !span.IsRecording() {
		t.Error("tracing off with an endpoint")
	}
	span.End()
}
