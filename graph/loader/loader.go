// Package loader batches the nested lookups of one request with dataloaders:
// however many users a page shows, their profiles cost one SQL statement.
// Loaders live in the request context and are made per request, so their
// caches never outlive it.
//
// A list resolver that knows which keys its page needs can Prefetch them:
// one batch call, deterministic whatever the scheduling, after which the
// nested resolvers' loads are cache hits.
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
	// Users loads profiles as seen by the request's viewer.
	Users *dataloader.Loader[string, *user.Profile]
	// Clubs loads clubs with their member total and whether the viewer joined.
	Clubs *dataloader.Loader[string, *club.Club]
	// Rooms loads rooms, open or closed.
	Rooms *dataloader.Loader[string, *room.Room]
	// Presence loads who is connected to rooms (never nil for a room id).
	Presence *dataloader.Loader[string, *room.Presence]
	// Booked loads whether the viewer booked a reminder of events.
	Booked *dataloader.Loader[string, bool]

	fetchUsers    func(context.Context, []string) (map[string]*user.Profile, error)
	fetchClubs    func(context.Context, []string) (map[string]*club.Club, error)
	fetchRooms    func(context.Context, []string) (map[string]*room.Room, error)
	fetchPresence func(context.Context, []string) (map[string]*room.Presence, error)
	fetchBooked   func(context.Context, []string) (map[string]bool, error)
}

// New makes the loaders of a request whose viewer is viewerUID ("" = anonymous).
// Services that are nil leave their loaders unusable.
func New(s Services, viewerUID string) *Loaders {
	l := &Loaders{
		fetchUsers: func(ctx context.Context, uids []string) (map[string]*user.Profile, error) {
			return s.Users.Profiles(ctx, viewerUID, uids)
		},
		fetchClubs: func(ctx context.Context, clubIDs []string) (map[string]*club.Club, error) {
			return s.Clubs.Clubs(ctx, viewerUID, clubIDs)
		},
		fetchRooms: func(ctx context.Context, roomIDs []string) (map[string]*room.Room, error) {
			return s.Rooms.Rooms(ctx, roomIDs)
		},
		fetchPresence: func(ctx context.Context, roomIDs []string) (map[string]*room.Presence, error) {
			return s.Rooms.Presences(ctx, roomIDs)
		},
		fetchBooked: func(ctx context.Context, eventIDs []string) (map[string]bool, error) {
			return s.Events.Bookings(ctx, viewerUID, eventIDs)
		},
	}
	l.Users = newLoader(l.fetchUsers)
	l.Clubs = newLoader(l.fetchClubs)
	l.Rooms = newLoader(l.fetchRooms)
	l.Presence = newLoader(l.fetchPresence)
	l.Booked = newLoader(l.fetchBooked)
	return l
}

// PrefetchUsers loads the profiles of uids in one batch into the cache.
func (l *Loaders) PrefetchUsers(ctx context.Context, uids []string) error {
	return prefetch(ctx, l.Users, l.fetchUsers, uids)
}

// PrefetchClubs loads the clubs in one batch into the cache.
func (l *Loaders) PrefetchClubs(ctx context.Context, clubIDs []string) error {
	return prefetch(ctx, l.Clubs, l.fetchClubs, clubIDs)
}

// PrefetchRooms loads the rooms in one batch into the cache.
func (l *Loaders) PrefetchRooms(ctx context.Context, roomIDs []string) error {
	return prefetch(ctx, l.Rooms, l.fetchRooms, roomIDs)
}

// PrefetchPresence loads who is connected to the rooms in one batch into the
// cache and returns it.
func (l *Loaders) PrefetchPresence(ctx context.Context, roomIDs []string) (map[string]*room.Presence, error) {
	found, err := fetchAndPrime(ctx, l.Presence, l.fetchPresence, roomIDs)
	return found, err
}

// PrefetchBooked loads the viewer's bookings of the events in one batch into the cache.
func (l *Loaders) PrefetchBooked(ctx context.Context, eventIDs []string) error {
	return prefetch(ctx, l.Booked, l.fetchBooked, eventIDs)
}

// newLoader turns a "load these keys into a map" function into a batched
// loader; keys missing from the map resolve to the zero value without error.
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

func prefetch[K comparable, V any](ctx context.Context, l *dataloader.Loader[K, V], fetch func(context.Context, []K) (map[K]V, error), keys []K) error {
	_, err := fetchAndPrime(ctx, l, fetch, keys)
	return err
}

// fetchAndPrime fetches the distinct keys with one call and primes the
// loader with every one of them (missing ones as the zero value).
func fetchAndPrime[K comparable, V any](ctx context.Context, l *dataloader.Loader[K, V], fetch func(context.Context, []K) (map[K]V, error), keys []K) (map[K]V, error) {
	uniq := make([]K, 0, len(keys))
	seen := make(map[K]bool, len(keys))
	for _, k := range keys {
		if !seen[k] {
			seen[k] = true
			uniq = append(uniq, k)
		}
	}
	if len(uniq) == 0 {
		return map[K]V{}, nil
	}
	found, err := fetch(ctx, uniq)
	if err != nil {
		return nil, err
	}
	for _, k := range uniq {
		l.Prime(ctx, k, found[k])
	}
	return found, nil
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
