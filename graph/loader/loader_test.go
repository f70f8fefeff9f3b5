package loader

import (
	"context"
	"slices"
	"sync"
	"testing"
)

// TestPrefetchSkipsHeldKeys pins that Prefetch fetches only the keys the
// loader holds nothing for: keys primed (the room feed primes the presences
// its statement read) or loaded earlier cost no statement again, and a
// prefetch of held keys only runs none.
func TestPrefetchSkipsHeldKeys(t *testing.T) {
	ctx := context.Background()
	var mu sync.Mutex
	var calls [][]string
	l := newLoader(func(_ context.Context, keys []string) (map[string]string, error) {
		mu.Lock()
		defer mu.Unlock()
		calls = append(calls, slices.Sorted(slices.Values(keys)))
		out := map[string]string{}
		for _, k := range keys {
			out[k] = "fetched " + k
		}
		return out, nil
	})
	l.Prime(ctx, "a", "primed a")
	if err := l.Prefetch(ctx, []string{"a", "b", "c", "b"}); err != nil {
		t.Fatal(err)
	}
	if err := l.Prefetch(ctx, []string{"c", "a"}); err != nil {
		t.Fatal(err)
	}
	if _, err := l.Get(ctx, "d"); err != nil { // a batch load
		t.Fatal(err)
	}
	if err := l.Prefetch(ctx, []string{"d", "e"}); err != nil {
		t.Fatal(err)
	}
	want := [][]string{{"b", "c"}, {"d"}, {"e"}}
	if !slices.EqualFunc(calls, want, slices.Equal) {
		t.Fatalf("fetches %v, want %v", calls, want)
	}
	for k, v := range map[string]string{"a": "primed a", "b": "fetched b", "d": "fetched d", "e": "fetched e"} {
		if got, err := l.Get(ctx, k); err != nil || got != v {
			t.Errorf("%s: %q, %v; want %q", k, got, err, v)
		}
	}
	// A cleared loader fetches again.
	l.ClearAll()
	if err := l.Prefetch(ctx, []string{"a"}); err != nil {
		t.Fatal(err)
	}
	if got, _ := l.Get(ctx, "a"); got != "fetched a" || len(calls) != 4 {
		t.Fatalf("after ClearAll: %q, fetches %v", got, calls)
	}
}
