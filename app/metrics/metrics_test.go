package metrics

import (
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"
	dto "github.com/prometheus/client_model/go"
)

// TestRegistry gathers every family and checks the naming conventions:
// own metrics are chaoqer_*, counters end in _total, durations in _seconds.
func TestRegistry(t *testing.T) {
	RateLimited("ip")
	before := testutil.ToFloat64(RateLimitRefusals.WithLabelValues("ip"))
	RateLimited("ip")
	if got := testutil.ToFloat64(RateLimitRefusals.WithLabelValues("ip")); got != before+1 {
		t.Errorf("RateLimited: %v -> %v", before, got)
	}
	reg := NewRegistry(Sources{
		Statements: func() int64 { return 7 }, PushQueueDepth: func() int { return 2 },
		PushDropped: func() int64 { return 1 }, OpenRooms: func() int { return 3 }, RoomConnections: func() int { return 4 },
	})
	HTTPRequestDuration.WithLabelValues("GET", "graphql", "200").Observe(0.01)
	fams, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, f := range fams {
		name := f.GetName()
		seen[name] = true
		if strings.HasPrefix(name, "go_") || strings.HasPrefix(name, "process_") {
			continue
		}
		if !strings.HasPrefix(name, "chaoqer_") {
			t.Errorf("%s: own metrics start with chaoqer_", name)
		}
		if f.GetType() == dto.MetricType_COUNTER && !strings.HasSuffix(name, "_total") {
			t.Errorf("counter %s does not end in _total", name)
		}
		if strings.Contains(name, "duration") && !strings.HasSuffix(name, "_seconds") {
			t.Errorf("%s: durations are in seconds", name)
		}
	}
	for _, want := range []string{"chaoqer_sql_statements_total", "chaoqer_push_queue_depth", "chaoqer_push_dropped_total",
		"chaoqer_rooms_open", "chaoqer_room_connections_open", "chaoqer_build_info", "chaoqer_rate_limit_refusals_total",
		"chaoqer_http_request_duration_seconds", "go_goroutines", "go_build_info"} {
		if !seen[want] {
			t.Errorf("no %s", want)
		}
	}
}
