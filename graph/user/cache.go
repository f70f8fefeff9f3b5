package user

import (
	"sync"
	"sync/atomic"
	"time"

	lru "github.com/hashicorp/golang-lru/v2"
)

// profileCacheSize bounds the cache: about 250 bytes an entry, so at most a
// few megabytes.
const profileCacheSize = 10_000

// storedProfile is what the cache keeps of a profile: its stored columns,
// the same for every viewer. Viewer relations and card totals are never
// cached.
type storedProfile struct {
	nickname, avatar string
	bio              *string
	loadedAt         time.Time
}

// profileCache is a bounded, short-lived accelerator in front of the
// profile statement (architecture §5: in-memory caches only as bounded,
// short-lived accelerators). Only visible accounts (status 1) are kept. A
// change made on this instance is seen at once (UpdateProfile drops the
// entry); one made on another instance, or by hand in the database, after
// at most ttl.
type profileCache struct {
	ttl time.Duration
	now func() time.Time
	lru *lru.Cache[string, storedProfile]
	// epoch counts drops. A load records it before reading and stores its
	// rows only if no drop happened meanwhile, so rows read before a change
	// committed never replace the dropped entry. mu makes that check and
	// the stores one step with respect to drop.
	epoch atomic.Uint64
	mu    sync.Mutex
}

// newProfileCache returns a cache trusting entries for ttl; nil (no cache)
// when ttl is not positive.
func newProfileCache(ttl time.Duration, now func() time.Time) *profileCache {
	if ttl <= 0 {
		return nil
	}
	c, _ := lru.New[string, storedProfile](profileCacheSize)
	return &profileCache{ttl: ttl, now: now, lru: c}
}

// lookup puts the cached profiles of uids into out (each a new Profile with
// computed set and allowLive from live) and returns the uids it did not
// find, in their order.
func (c *profileCache) lookup(uids []string, out map[string]*Profile, computed Fields, live map[string]bool) []string {
	now := c.now()
	var missing []string
	for i, uid := range uids {
		sp, ok := c.lru.Get(uid)
		if !ok || now.Sub(sp.loadedAt) > c.ttl {
			if missing == nil {
				missing = make([]string, 0, len(uids)-i)
			}
			missing = append(missing, uid)
			continue
		}
		out[uid] = &Profile{UID: uid, Nickname: sp.nickname, Avatar: sp.avatar, Bio: sp.bio,
			AllowLive: live[uid], Computed: computed}
	}
	return missing
}

// load is what a load records before it reads: the epoch, and the time
// its rows will be dated (the start of the read, so that an entry is never
// trusted for longer than ttl after the moment it could have been read).
type load struct {
	epoch uint64
	at    time.Time
}

// begin returns what a load records before it reads.
func (c *profileCache) begin() load { return load{epoch: c.epoch.Load(), at: c.now()} }

// store keeps the stored columns of loaded profiles read by l, unless a
// drop happened since it began.
func (c *profileCache) store(l load, loaded []*Profile) {
	if len(loaded) == 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.epoch.Load() != l.epoch {
		return
	}
	for _, p := range loaded {
		c.lru.Add(p.UID, storedProfile{nickname: p.Nickname, avatar: p.Avatar, bio: p.Bio, loadedAt: l.at})
	}
}

// drop forgets uid once its change has committed; loads that began before
// store nothing.
func (c *profileCache) drop(uid string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.epoch.Add(1)
	c.lru.Remove(uid)
}
