package loader

import (
	"context"
	"sync"

	"github.com/graph-gophers/dataloader/v7"
)

// PartLoader batches loads of values whose costly parts (a club's member
// count, the viewer's relations to a user) are computed only when asked
// for: every load names the parts it needs, a batch computes the union of
// what its callers need, and a value loaded with some parts serves every
// later load that needs no more. So a page that does not select a count
// never computes it, and one that selects it still costs one statement.
type PartLoader[V any, P ~uint8] struct {
	fetch func(ctx context.Context, keys []string, parts P) (map[string]V, error)

	mu      sync.Mutex
	cache   map[string][]partEntry[V, P]        // per key, values none of which has all the parts of another
	batches map[P]*dataloader.Loader[string, V] // batching only; the cache above remembers
	// inflight are the loads batched but not stored yet: a Get of the same
	// key and parts waits for that load instead of starting a batch of
	// its own once the first has left (the concurrent resolvers of a
	// page, e.g. every club's creator being the same user).
	inflight map[inflightKey[P]]*inflightLoad[V]
}

type inflightLoad[V any] struct{ wait dataloader.Thunk[V] }

type inflightKey[P ~uint8] struct {
	key   string
	parts P
}

type partEntry[V any, P ~uint8] struct {
	v     V
	parts P // what v was loaded with; all parts for a missing key
}

// newPartLoader turns a "load these keys, computing these parts" function
// into a PartLoader; keys missing from its map load as the zero value.
func newPartLoader[V any, P ~uint8](fetch func(context.Context, []string, P) (map[string]V, error)) *PartLoader[V, P] {
	return &PartLoader[V, P]{fetch: fetch, cache: map[string][]partEntry[V, P]{}, batches: map[P]*dataloader.Loader[string, V]{},
		inflight: map[inflightKey[P]]*inflightLoad[V]{}}
}

// cached returns the value of key if it was loaded with at least parts
// (l.mu held).
func (l *PartLoader[V, P]) cached(key string, parts P) (V, bool) {
	for _, e := range l.cache[key] {
		if e.parts&parts == parts {
			return e.v, true
		}
	}
	var zero V
	return zero, false
}

// store remembers what a fetch of keys with parts found (a missing key
// stays missing whatever parts are asked for later). Values loaded
// concurrently with parts neither of which includes the other (the lists
// of one request, each selecting other fields) are both kept.
func (l *PartLoader[V, P]) store(keys []string, found map[string]V, parts P) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, k := range keys {
		v, ok := found[k]
		p := parts
		if !ok {
			p = ^P(0)
		}
		if _, had := l.cached(k, p); had {
			continue
		}
		kept := l.cache[k][:0]
		for _, e := range l.cache[k] {
			if e.parts&p != e.parts { // not made redundant by the new value
				kept = append(kept, e)
			}
		}
		l.cache[k] = append(kept, partEntry[V, P]{v: v, parts: p})
	}
}

// batch is the dataloader that fetches with parts (l.mu held).
func (l *PartLoader[V, P]) batch(parts P) *dataloader.Loader[string, V] {
	if b, ok := l.batches[parts]; ok {
		return b
	}
	fn := func(ctx context.Context, keys []string) []*dataloader.Result[V] {
		out := make([]*dataloader.Result[V], len(keys))
		found, err := l.fetch(ctx, dedupe(keys), parts)
		if err == nil {
			l.store(keys, found, parts)
		}
		for i, k := range keys {
			if err != nil {
				out[i] = &dataloader.Result[V]{Error: err}
				continue
			}
			out[i] = &dataloader.Result[V]{Data: found[k]}
		}
		return out
	}
	b := dataloader.NewBatchedLoader(fn, dataloader.WithWait[string, V](Wait),
		dataloader.WithBatchCapacity[string, V](1000), dataloader.WithCache[string, V](&dataloader.NoCache[string, V]{}))
	l.batches[parts] = b
	return b
}

// Get loads key with at least parts: from the cache, or in the next batch.
func (l *PartLoader[V, P]) Get(ctx context.Context, key string, parts P) (V, error) {
	l.mu.Lock()
	if v, ok := l.cached(key, parts); ok {
		l.mu.Unlock()
		return v, nil
	}
	ik := inflightKey[P]{key, parts}
	if in, ok := l.inflight[ik]; ok {
		l.mu.Unlock()
		return in.wait()
	}
	in := &inflightLoad[V]{wait: l.batch(parts).Load(ctx, key)}
	l.inflight[ik] = in
	l.mu.Unlock()
	v, err := in.wait()
	l.mu.Lock()
	if l.inflight[ik] == in { // stored by now (or failed: the next Get retries)
		delete(l.inflight, ik)
	}
	l.mu.Unlock()
	return v, err
}

// GetMany loads keys with at least parts, in order; the ones not cached
// go in one batch. errs is nil or has one entry per key.
func (l *PartLoader[V, P]) GetMany(ctx context.Context, keys []string, parts P) ([]V, []error) {
	out := make([]V, len(keys))
	var miss []string
	var at []int
	l.mu.Lock()
	for i, k := range keys {
		if v, ok := l.cached(k, parts); ok {
			out[i] = v
		} else {
			miss = append(miss, k)
			at = append(at, i)
		}
	}
	var b *dataloader.Loader[string, V]
	if len(miss) > 0 {
		b = l.batch(parts)
	}
	l.mu.Unlock()
	if len(miss) == 0 {
		return out, nil
	}
	vs, errs := b.LoadMany(ctx, miss)()
	var all []error
	for j, i := range at {
		if len(errs) > j && errs[j] != nil {
			if all == nil {
				all = make([]error, len(keys))
			}
			all[i] = errs[j]
			continue
		}
		out[i] = vs[j]
	}
	return out, all
}

// Prefetch fetches keys with parts in one statement and caches them. A
// list resolver calls it with the keys of its page and the union of the
// parts its nested fields select, so that their loads are all cache hits:
// one statement however long the page is and however the items' resolvers
// are scheduled. It fetches even keys already cached, so that how many
// statements a request runs never depends on which of its concurrent
// resolvers ran first.
func (l *PartLoader[V, P]) Prefetch(ctx context.Context, keys []string, parts P) error {
	if len(keys) == 0 {
		return nil
	}
	keys = dedupe(keys)
	found, err := l.fetch(ctx, keys, parts)
	if err != nil {
		return err
	}
	l.store(keys, found, parts)
	return nil
}

// Prime caches what the caller loaded itself for keys with parts, as
// Prefetch would have (a key missing from found stays missing whatever
// parts are asked for later), so that loads of them are cache hits and no
// statement runs: the room feed reads its rooms' clubs in its own
// statement.
func (l *PartLoader[V, P]) Prime(keys []string, found map[string]V, parts P) {
	if len(keys) == 0 {
		return
	}
	l.store(dedupe(keys), found, parts)
}

// Put caches v as key's value loaded with parts (a value the caller loaded
// itself).
func (l *PartLoader[V, P]) Put(key string, v V, parts P) {
	l.store([]string{key}, map[string]V{key: v}, parts)
}

// ClearAll forgets every cached value.
func (l *PartLoader[V, P]) ClearAll() {
	l.mu.Lock()
	l.cache = map[string][]partEntry[V, P]{}
	l.inflight = map[inflightKey[P]]*inflightLoad[V]{} // a load from before is not waited for
	l.mu.Unlock()
}
