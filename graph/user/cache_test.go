package user

import (
	"context"
	"errors"
	"testing"
	"time"

	"chaoqer/ent"
	"chaoqer/graph/errs"
	"chaoqer/graph/ids"
	"chaoqer/graph/viewer"
)

// cachedService is newService with a profile cache of ttl on a clock the
// test moves.
func cachedService(t *testing.T, ttl time.Duration) (*Service, *ent.Client, *time.Time) {
	s, db := newService(t)
	now := time.Now()
	s.SetClock(func() time.Time { return now })
	s.CacheProfiles(ttl)
	return s, db, &now
}

func TestProfileCacheOffByDefault(t *testing.T) {
	s, _ := newService(t)
	if s.cache != nil {
		t.Fatal("a new service caches profiles")
	}
	s.CacheProfiles(0)
	if s.cache != nil {
		t.Fatal("CacheProfiles(0) made a cache")
	}
}

func TestCachedProfilesSkipTheStatementWithinTTL(t *testing.T) {
	s, db, now := cachedService(t, 2*time.Second)
	ctx := context.Background()
	a, b := account(t, db, viewer.StatusNormal), account(t, db, viewer.StatusNormal)
	hidden := account(t, db, viewer.StatusDefault)
	load := func(uids ...string) (map[string]*Profile, int64) {
		t.Helper()
		before := s.store.Statements()
		m, err := s.Profiles(ctx, a, uids, 0)
		if err != nil {
			t.Fatal(err)
		}
		return m, s.store.Statements() - before
	}
	if m, n := load(a, b, hidden); n != 1 || len(m) != 2 {
		t.Fatalf("cold: %d statements, %d profiles; want 1 and 2", n, len(m))
	}
	m, n := load(b, a)
	if n != 0 || len(m) != 2 || m[a].Nickname != "n"+a[:4] || m[b].UID != b {
		t.Fatalf("warm: %d statements, %+v; want 0 and both profiles", n, m)
	}
	// An account that is not visible is never cached: it is read each time.
	if m, n := load(a, hidden); n != 1 || len(m) != 1 {
		t.Fatalf("with a hidden account: %d statements, %d profiles; want 1 and 1", n, len(m))
	}
	// Computed fields are never answered from the cache.
	before := s.store.Statements()
	if _, err := s.Profiles(ctx, a, []string{b}, FieldCardTotal); err != nil {
		t.Fatal(err)
	}
	if s.store.Statements() == before {
		t.Fatal("cardTotal was answered from the cache")
	}
	// A change made behind the service's back is seen after the TTL.
	db.Profile.UpdateOneID(b).SetNickname("renamed").ExecX(ctx)
	if m, _ := load(b); m[b].Nickname != "n"+b[:4] {
		t.Fatalf("within the TTL: %q, want the cached nickname", m[b].Nickname)
	}
	*now = now.Add(2*time.Second + time.Millisecond)
	if m, n := load(b); n != 1 || m[b].Nickname != "renamed" {
		t.Fatalf("after the TTL: %d statements, %q; want 1 and the new nickname", n, m[b].Nickname)
	}
}

func TestProfileChangesDropTheCachedProfile(t *testing.T) {
	s, db, _ := cachedService(t, time.Hour)
	ctx := context.Background()
	uid := account(t, db, viewer.StatusNormal)
	if _, err := s.Profile(ctx, "", uid, 0); err != nil {
		t.Fatal(err)
	}
	err := s.UpdateProfile(ctx, uid, ProfileInput{Nickname: str("new"), Avatar: str("b"), Bio: str("hello")})
	if err != nil {
		t.Fatal(err)
	}
	p, err := s.Profile(ctx, "", uid, 0)
	if err != nil {
		t.Fatal(err)
	}
	if p.Nickname != "new" || p.Avatar != "b" || p.Bio == nil || *p.Bio != "hello" {
		t.Fatalf("after the update: %+v", p)
	}
	// A new account becomes visible with its profile at once.
	fresh := account(t, db, viewer.StatusDefault)
	if _, err := s.Profile(ctx, "", fresh, 0); err == nil {
		t.Fatal("an account in status 0 is visible")
	}
	v := &viewer.Viewer{UID: fresh, Status: viewer.StatusDefault}
	if err := s.InitProfile(ctx, v, ProfileInput{Nickname: str("hi"), Avatar: str("c")}); err != nil {
		t.Fatal(err)
	}
	if p, err := s.Profile(ctx, "", fresh, 0); err != nil || p.Nickname != "hi" {
		t.Fatalf("after init: %+v, %v", p, err)
	}
}

func TestProfileCacheKeepsNoRowsReadBeforeADrop(t *testing.T) {
	now := time.Now()
	c := newProfileCache(time.Minute, func() time.Time { return now })
	old := []*Profile{{UID: "u", Nickname: "old"}}
	epoch := c.begin()
	c.drop("u") // the change commits while the load reads
	c.store(epoch, old)
	out := map[string]*Profile{}
	if missing := c.lookup([]string{"u"}, out, 0, nil); len(missing) != 1 {
		t.Fatalf("a row read before the drop was cached: %+v", out)
	}
	c.store(c.begin(), []*Profile{{UID: "u", Nickname: "new"}})
	if missing := c.lookup([]string{"u"}, out, FieldBlocked, map[string]bool{"u": true}); len(missing) != 0 {
		t.Fatal("a load begun after the drop was not cached")
	}
	if p := out["u"]; p.Nickname != "new" || !p.AllowLive || p.Computed != FieldBlocked {
		t.Fatalf("cached profile: %+v", p)
	}
}

// TestStoredProfileIsNeverCached: what a write keeps (a notice's sender
// nickname) is read from the database even while the cache holds an older
// value.
func TestStoredProfileIsNeverCached(t *testing.T) {
	s, db, _ := cachedService(t, time.Hour)
	ctx := context.Background()
	uid := account(t, db, viewer.StatusNormal)
	if _, err := s.Profile(ctx, "", uid, 0); err != nil {
		t.Fatal(err)
	}
	db.Profile.UpdateOneID(uid).SetNickname("elsewhere").ExecX(ctx) // through another instance
	p, err := s.StoredProfile(ctx, uid)
	if err != nil || p.Nickname != "elsewhere" {
		t.Fatalf("StoredProfile: %+v, %v; want the database's nickname", p, err)
	}
	if _, err := s.StoredProfile(ctx, ids.New()); !errors.Is(err, errs.UserNotFound) {
		t.Fatalf("unknown uid: %v", err)
	}
}
