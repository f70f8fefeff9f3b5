// Package loader batches the nested lookups of one request with dataloaders:
// however many users a page shows, their profiles cost one SQL statement.
// Loaders live in the request context and are made per request, so their
// caches never outlive it.
package loader

import (
	"context"
	"time"

	"github.com/graph-gophers/dataloader/v7"

	"chaoqer/graph/user"
)

// Wait is how long a loader collects keys before running its batch.
const Wait = time.Millisecond

// Services are what the batch functions read from.
type Services struct {
	Users *user.Service
}

// Loaders are the dataloaders of one request.
type Loaders struct {
	// Users loads profiles as seen by the request's viewer.
	Users *dataloader.Loader[string, *user.Profile]
}

// New makes the loaders of a request whose viewer is viewerUID ("" = anonymous).
func New(s Services, viewerUID string) *Loaders {
	return &Loaders{
		Users: newLoader(func(ctx context.Context, uids []string) (map[string]*user.Profile, error) {
			return s.Users.Profiles(ctx, viewerUID, uids)
		}),
	}
}

// newLoader turns a "load these keys into a map" function into a batched
// loader; keys missing from the map resolve to nil without error.
func newLoader[K comparable, V any](fetch func(context.Context, []K) (map[K]V, error)) *dataloader.Loader[K, V] {
	batch := func(ctx context.Context, keys []K) []*dataloader.Result[V] {
		out := make([]*dataloader.Result[V], len(keys))
		found, err := fetch(ctx, keys)
		for i, k := range keys {
			if err != nil {
				out[i] = &dataloader.Result[V]{Error: err}
				continue
			}
			out[i] = &dataloader.Result[V]{Data: found[k]}
		}
		return out
	}
	return dataloader.NewBatchedLoader(batch, dataloader.WithWait[K, V](Wait), dataloader.WithBatchCapacity[K, V](500))
}

type ctxKey struct{}

// With returns ctx carrying l.
func With(ctx context.Context, l *Loaders) context.Context {
	return context.WithValue(ctx, ctxKey{}, l)
}

// From returns the loaders in ctx.
func From(ctx context.Context) *Loaders {
	l, _ := ctx.Value(ctxKey{}).(*Loaders)
	return l
}
