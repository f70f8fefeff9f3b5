// Package loader batches the nested lookups of one request with dataloaders:
// however many users a page shows, their profiles cost one SQL statement.
// Loaders live in the request context and are made per request, so their
// caches never outlive it.
//
// A list resolver that knows which keys its page needs prefetches them (one
// batch call, deterministic whatever the scheduling), after which the nested
// resolvers' loads are cache hits.
package loader

import (
	"context"
	"time"

	"github.com/graph-gophers/dataloader/v7"

	"chaoqer/graph/club"
	"chaoqer/graph/event"
	"chaoqer/graph/room"
	"chaoqer/graph/user"
)

// Wait is how long a loader collects keys before running its batch.
const Wait = time.Millisecond

// Services are what the batch functions read from.
type Services struct {
	Users  *user.Service
	Clubs  *club.Service
	Rooms  *room.Service
	Events *event.Service
}

// Loaders are the dataloaders of one request.
type Loaders struct {
	// Users loads profiles as seen by the request's viewer, with the
	// computed fields (the viewer's relations, card total) asked for.
	Users *PartLoader[*user.Profile, user.Fields]
	// Clubs loads clubs as seen by the request's viewer, with the computed
	// fields (member total, whether the viewer joined) asked for.
	Clubs *PartLoader[*club.Club, club.Fields]
	// Rooms loads rooms, open or closed.
	Rooms *Loader[string, *room.Room]
	// Presence loads who is connected to rooms (never nil for a room id).
	Presence *Loader[string, *room.Presence]
	// Booked loads whether the viewer booked a reminder of events.
	Booked *Loader[string, bool]
	// Events loads events that are not deleted.
	Events *Loader[string, *event.Event]
	// ClubMembers are the clubs' member pages (Club.members).
	ClubMembers *MemberPages
}

// New makes the loaders of a request whose viewer is viewerUID ("" = anonymous).
// The loaders of services left nil must not be used.
func New(s Services, viewerUID string) *Loaders {
	return &Loaders{
		Users: newPartLoader(func(ctx context.Context, uids []string, f user.Fields) (map[string]*user.Profile, error) {
			return s.Users.Profiles(ctx, viewerUID, uids, f)
		}),
		Clubs: newPartLoader(func(ctx context.Context, clubIDs []string, f club.Fields) (map[string]*club.Club, error) {
			return s.Clubs.Clubs(ctx, viewerUID, clubIDs, f)
		}),
		Rooms: newLoader(func(ctx context.Context, roomIDs []string) (map[string]*room.Room, error) {
			return s.Rooms.Rooms(ctx, roomIDs)
		}),
		Presence: newLoader(func(ctx context.Context, roomIDs []string) (map[string]*room.Presence, error) {
			return s.Rooms.Presences(ctx, roomIDs)
		}),
		Booked: newLoader(func(ctx context.Context, eventIDs []string) (map[string]bool, error) {
			return s.Events.Bookings(ctx, viewerUID, eventIDs)
		}),
		Events: newLoader(func(ctx context.Context, eventIDs []string) (map[string]*event.Event, error) {
			return s.Events.Events(ctx, eventIDs)
		}),
		ClubMembers: newMemberPages(s.Clubs.MemberPages),
	}
}

// Clear empties every loader's cache, so that what is read next sees the
// writes made since (see graph.ReadAfterWrite).
func (l *Loaders) Clear() {
	l.Users.ClearAll()
	l.Clubs.ClearAll()
	l.Rooms.ClearAll()
	l.Presence.ClearAll()
	l.Booked.ClearAll()
	l.Events.ClearAll()
	l.ClubMembers.Clear()
}

// Loader is a batched loader that can also fetch a known set of keys at once.
type Loader[K comparable, V any] struct {
	*dataloader.Loader[K, V]
	fetch func(context.Context, []K) (map[K]V, error)
	cache *dataloader.InMemoryCache[K, V] // the loader's: what is loaded, primed or in flight
}

// newLoader turns a "load these keys into a map" function into a batched
// loader; keys missing from the map resolve to the zero value without error.
func newLoader[K comparable, V any](fetch func(context.Context, []K) (map[K]V, error)) *Loader[K, V] {
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
	cache := dataloader.NewCache[K, V]()
	return &Loader[K, V]{
		Loader: dataloader.NewBatchedLoader(batch, dataloader.WithWait[K, V](Wait), dataloader.WithBatchCapacity[K, V](1000),
			dataloader.WithCache[K, V](cache)),
		fetch: fetch,
		cache: cache,
	}
}

// Get loads one key.
func (l *Loader[K, V]) Get(ctx context.Context, key K) (V, error) {
	return l.Load(ctx, key)()
}

// Prefetch fetches keys in one statement and primes the loader with them
// (missing keys as zero values). A list resolver calls it with the keys of
// its page, so the per-item loads that follow are all cache hits: the batch
// is one statement however long the page is and however the items' resolvers
// are scheduled. Keys the loader already holds (loaded, primed, or in a
// batch in flight) are not fetched again; with none left, no statement.
func (l *Loader[K, V]) Prefetch(ctx context.Context, keys []K) error {
	keys = l.missing(ctx, dedupe(keys))
	if len(keys) == 0 {
		return nil
	}
	found, err := l.fetch(ctx, keys)
	if err != nil {
		return err
	}
	for _, k := range keys {
		l.Prime(ctx, k, found[k])
	}
	return nil
}

// missing are the keys the loader holds nothing for.
func (l *Loader[K, V]) missing(ctx context.Context, keys []K) []K {
	out := keys[:0:0]
	for _, k := range keys {
		if _, ok := l.cache.Get(ctx, k); !ok {
			out = append(out, k)
		}
	}
	return out
}

func dedupe[K comparable](keys []K) []K {
	seen := make(map[K]bool, len(keys))
	out := keys[:0:0]
	for _, k := range keys {
		if !seen[k] {
			seen[k] = true
			out = append(out, k)
		}
	}
	return out
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
