package loader

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"
)

// val is a loaded value: its key and the parts it was computed with.
type val struct {
	key   string
	parts uint8
}

// recorder is a fetch function that records its calls.
type recorder struct {
	mu    sync.Mutex
	calls []call
}

type call struct {
	keys  []string
	parts uint8
}

func (r *recorder) fetch(_ context.Context, keys []string, parts uint8) (map[string]*val, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls = append(r.calls, call{slices.Sorted(slices.Values(keys)), parts})
	out := map[string]*val{}
	for _, k := range keys {
		if k != "missing" {
			out[k] = &val{k, parts}
		}
	}
	return out, nil
}

func (r *recorder) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.calls)
}

func TestPartLoaderServesSubsetsFromCache(t *testing.T) {
	ctx := context.Background()
	r := &recorder{}
	l := newPartLoader(r.fetch)
	if err := l.Prefetch(ctx, []string{"a", "b", "a", "missing"}, 0b011); err != nil {
		t.Fatal(err)
	}
	if r.count() != 1 || !slices.Equal(r.calls[0].keys, []string{"a", "b", "missing"}) {
		t.Fatalf("prefetch calls %+v", r.calls)
	}
	// Fewer or equal parts: cache hits. A missing key stays missing.
	for _, parts := range []uint8{0, 0b001, 0b010, 0b011} {
		v, err := l.Get(ctx, "a", parts)
		if err != nil || v == nil || v.parts != 0b011 {
			t.Fatalf("get a with %03b: %+v %v", parts, v, err)
		}
		if v, err := l.Get(ctx, "missing", 0b111); err != nil || v != nil {
			t.Fatalf("missing: %+v %v", v, err)
		}
	}
	if r.count() != 1 {
		t.Fatalf("cache hits fetched: %+v", r.calls)
	}
	// More parts: one batch for every key that lacks them.
	vs, errs := l.GetMany(ctx, []string{"a", "b", "c"}, 0b100)
	if errs != nil || r.count() != 2 || r.calls[1].parts != 0b100 || !slices.Equal(r.calls[1].keys, []string{"a", "b", "c"}) {
		t.Fatalf("get many: %v %+v", errs, r.calls)
	}
	for i, k := range []string{"a", "b", "c"} {
		if vs[i] == nil || vs[i].key != k || vs[i].parts != 0b100 {
			t.Fatalf("value %d: %+v", i, vs[i])
		}
	}
	// Values with parts neither of which includes the other are both kept.
	if v, _ := l.Get(ctx, "a", 0b001); v.parts != 0b011 {
		t.Fatalf("a with 001 after 100: %+v", v)
	}
	if v, _ := l.Get(ctx, "a", 0b100); v.parts != 0b100 {
		t.Fatalf("a with 100: %+v", v)
	}
	// Neither has both: one more fetch, whose value then serves both.
	if v, _ := l.Get(ctx, "a", 0b101); v.parts != 0b101 || r.count() != 3 {
		t.Fatalf("a with 101: %+v after %+v", v, r.calls)
	}
	// Put and ClearAll.
	l.Put("z", &val{"z", 0b111}, 0b111)
	if v, _ := l.Get(ctx, "z", 0b111); v == nil || r.count() != 3 {
		t.Fatalf("put: %+v %+v", v, r.calls)
	}
	l.ClearAll()
	if _, err := l.Get(ctx, "z", 0); err != nil || r.count() != 4 {
		t.Fatalf("after clear: %v %+v", err, r.calls)
	}
}

// TestPartLoaderPrime pins that primed values serve loads with no more
// parts without a fetch, that a primed key absent from found stays
// missing, and that a load needing more parts still fetches.
func TestPartLoaderPrime(t *testing.T) {
	ctx := context.Background()
	r := &recorder{}
	l := newPartLoader(r.fetch)
	l.Prime([]string{"a", "gone", "a"}, map[string]*val{"a": {"a", 0b001}}, 0b001)
	if v, err := l.Get(ctx, "a", 0b001); err != nil || v == nil || v.key != "a" {
		t.Fatalf("get a: %+v %v", v, err)
	}
	vs, errs := l.GetMany(ctx, []string{"gone", "a"}, 0b001)
	if errs != nil || vs[0] != nil || vs[1] == nil {
		t.Fatalf("get many: %+v %v", vs, errs)
	}
	if v, err := l.Get(ctx, "gone", 0b011); err != nil || v != nil {
		t.Fatalf("get gone with more parts: %+v %v", v, err)
	}
	if r.count() != 0 {
		t.Fatalf("primed keys fetched: %+v", r.calls)
	}
	if v, err := l.Get(ctx, "a", 0b010); err != nil || v == nil || v.parts != 0b010 || r.count() != 1 {
		t.Fatalf("get a with another part: %+v %v, calls %+v", v, err, r.calls)
	}
}

// TestPartLoaderWaitsForALoadInFlight: a Get of a key whose batch has left
// but not returned waits for that batch instead of fetching it again (the
// resolvers of a page run concurrently and may miss the batch window).
func TestPartLoaderWaitsForALoadInFlight(t *testing.T) {
	var r recorder
	started, release := make(chan struct{}), make(chan struct{})
	var once sync.Once
	l := newPartLoader(func(ctx context.Context, keys []string, parts uint8) (map[string]*val, error) {
		once.Do(func() { close(started) })
		<-release
		return r.fetch(ctx, keys, parts)
	})
	ctx := context.Background()
	var wg sync.WaitGroup
	got := make([]*val, 2)
	wg.Go(func() { got[0], _ = l.Get(ctx, "u1", 1) })
	<-started // the first batch has left
	wg.Go(func() { got[1], _ = l.Get(ctx, "u1", 1) })
	for {
		l.mu.Lock()
		n := len(l.inflight)
		l.mu.Unlock()
		if n == 1 { // the second Get found the first in flight (or has not started yet)
			break
		}
	}
	time.Sleep(5 * Wait) // a second batch, if any, would have left by now
	close(release)
	wg.Wait()
	if r.count() != 1 || got[0] == nil || got[1] == nil || got[0].key != "u1" || got[1].key != "u1" {
		t.Fatalf("fetches %v, values %v %v", r.calls, got[0], got[1])
	}
}
