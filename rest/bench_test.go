package rest_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"testing"
	"time"

	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	tracenoop "go.opentelemetry.io/otel/trace/noop"

	"chaoqer/app"
	"chaoqer/app/edge"
	"chaoqer/rest"
	"chaoqer/rest/resttest"
)

// measureCPU runs the timed part of a benchmark and reports the process
// CPU time per operation (cpu-ns/op: server work, GC included), which a
// busy shared machine disturbs far less than the wall time of ns/op.
func measureCPU(b *testing.B, run func()) {
	b.ReportAllocs()
	b.ResetTimer()
	start := processCPU()
	run()
	b.ReportMetric(float64(processCPU()-start)/float64(b.N), "cpu-ns/op")
}

// benchServer starts a server whose rate limits are off (a benchmark is one
// client sending as fast as it can) and that traces nothing, like the
// binary without an OTLP endpoint: no HTTP, SQL or operation wrappers.
func benchServer(b *testing.B) *resttest.Server {
	return resttest.Start(b, func(c *app.Config) {
		c.Edge.PerAddr, c.Edge.PerUID = edge.Rate{}, edge.Rate{}
		c.TracerProvider = tracenoop.NewTracerProvider()
	})
}

// BenchmarkLegacyProfile measures GET /user/{uid}/profile (signed,
// authenticated) through the whole in-process stack, without the network:
// with tracing off (no OTLP endpoint: no wrappers at all), and with the
// SDK exporting over OTLP/HTTP to a loopback sink at 10 % head sampling
// (parentbased_traceidratio 0.1), the issue 11 budget's two sides.
func BenchmarkLegacyProfile(b *testing.B) {
	b.Run("tracing=off", func(b *testing.B) { benchmarkLegacyProfile(b, benchServer(b)) })
	b.Run("tracing=otlp10", func(b *testing.B) {
		tp := otlpSinkProvider(b, 0.1)
		benchmarkLegacyProfile(b, resttest.Start(b, func(c *app.Config) {
			c.Edge.PerAddr, c.Edge.PerUID = edge.Rate{}, edge.Rate{}
			c.TracerProvider = tp
		}))
	})
}

// otlpSinkProvider is an SDK tracer provider sampling ratio of new traces
// and batching its spans to an OTLP/HTTP exporter whose collector is an
// in-process sink that reads and drops every export.
func otlpSinkProvider(b *testing.B, ratio float64) *sdktrace.TracerProvider {
	sink := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/x-protobuf")
	}))
	b.Cleanup(sink.Close)
	exp, err := otlptracehttp.New(context.Background(),
		otlptracehttp.WithEndpointURL(sink.URL+"/v1/traces"))
	if err != nil {
		b.Fatal(err)
	}
	tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(exp),
		sdktrace.WithSampler(sdktrace.ParentBased(sdktrace.TraceIDRatioBased(ratio))))
	b.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	return tp
}

func benchmarkLegacyProfile(b *testing.B, srv *resttest.Server) {
	a, other := srv.Onboard("A"), srv.Onboard("B")
	ts := strconv.FormatInt(time.Now().UnixMilli(), 10)
	sign := rest.Sign(map[string]any{"ts": ts}, a.Secret)
	target := "/user/" + other.UID + "/profile?" + url.Values{"ts": {ts}, "sign": {sign}}.Encode()
	warm, _ := http.NewRequest("GET", srv.URL+target, nil)
	a.Do(warm) // caches the session
	auth := a.AuthorizationHeader()
	h := srv.App.Handler()
	measureCPU(b, func() {
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				r := httptest.NewRequest("GET", target, nil)
				r.Header.Set("Authorization", auth)
				w := httptest.NewRecorder()
				h.ServeHTTP(w, r)
				if w.Code != http.StatusOK {
					b.Fatalf("status %d: %s", w.Code, w.Body)
				}
			}
		})
	})
}

// roomFeedQuery is the page a feed screen shows: 20 rooms with their club,
// creator and up to 6 connected members.
const roomFeedQuery = `query Feed($first: Int) {
  roomFeed(first: $first) {
    edges {
      cursor
      node {
        roomId
        createTime
        room {
          roomId name inviteOnly createTime memberTotal
          creator { uid nickname avatar }
          club { clubId name cover memberTotal viewerHasJoined }
          members { uid nickname avatar bio viewerHasBlocked viewerSentCard cardTotal allowLive }
        }
      }
    }
    pageInfo { hasNextPage endCursor }
  }
}`

// roomFeedCardQuery selects what a feed card shows.
const roomFeedCardQuery = `query Feed($first: Int) {
  roomFeed(first: $first) {
    edges {
      cursor
      node {
        room {
          roomId name memberTotal createTime
          creator { uid nickname }
          club { clubId name }
          members { uid nickname avatar }
        }
      }
    }
    pageInfo { hasNextPage endCursor }
  }
}`

// BenchmarkGraphQLRoomFeed measures the GraphQL room feed (20 rooms with
// club, creator and 6 members each) through the in-process HTTP stack.
func BenchmarkGraphQLRoomFeed(b *testing.B) {
	for name, q := range map[string]string{"full": roomFeedQuery, "card": roomFeedCardQuery} {
		b.Run(name, func(b *testing.B) { benchmarkGraphQL(b, q) })
	}
}

func benchmarkGraphQL(b *testing.B, query string) {
	srv := benchServer(b)
	v := srv.Onboard("Viewer")
	seedRooms(b, srv, v, 40)
	body, _ := json.Marshal(map[string]any{"query": query, "variables": map[string]any{"first": 20}})
	auth := v.AuthorizationHeader()
	h := srv.App.Handler()
	measureCPU(b, func() {
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				r := httptest.NewRequest("POST", "/graphql", bytes.NewReader(body))
				r.Header.Set("Authorization", auth)
				r.Header.Set("Content-Type", "application/json")
				w := httptest.NewRecorder()
				h.ServeHTTP(w, r)
				if w.Code != http.StatusOK || bytes.Contains(w.Body.Bytes(), []byte(`"errors"`)) {
					b.Fatalf("status %d: %s", w.Code, w.Body)
				}
			}
		})
	})
}

// BenchmarkLegacyRoomFeed measures the legacy GET /room?count=20 (signed,
// authenticated; the room feed operation plus the envelope rewrite).
func BenchmarkLegacyRoomFeed(b *testing.B) {
	srv := benchServer(b)
	v := srv.Onboard("Viewer")
	seedRooms(b, srv, v, 40)
	ts := strconv.FormatInt(time.Now().UnixMilli(), 10)
	sign := rest.Sign(map[string]any{"ts": ts, "count": "20"}, v.Secret)
	target := "/room?" + url.Values{"ts": {ts}, "count": {"20"}, "sign": {sign}}.Encode()
	auth := v.AuthorizationHeader()
	h := srv.App.Handler()
	measureCPU(b, func() {
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				r := httptest.NewRequest("GET", target, nil)
				r.Header.Set("Authorization", auth)
				w := httptest.NewRecorder()
				h.ServeHTTP(w, r)
				if w.Code != http.StatusOK || !bytes.HasPrefix(w.Body.Bytes(), []byte(`{"status":1`)) {
					b.Fatalf("status %d: %s", w.Code, w.Body)
				}
			}
		})
	})
}
