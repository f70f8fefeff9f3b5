package kvstore

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"chaoqer/ent/entdb/entdbtest"
)

func newStore(t *testing.T) (*Store, *time.Time) {
	db := entdbtest.Open(t)
	s := New(db.Client, db.Dialect)
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	s.SetClock(func() time.Time { return now })
	return s, &now
}

func TestAcquireHoldsUntilExpiry(t *testing.T) {
	s, now := newStore(t)
	ctx := context.Background()
	if ok, err := s.Acquire(ctx, "k", time.Second); !ok || err != nil {
		t.Fatalf("first acquire: %v %v", ok, err)
	}
	if ok, _ := s.Acquire(ctx, "k", time.Second); ok {
		t.Fatal("acquired a held key")
	}
	if ok, _ := s.Acquire(ctx, "other", time.Second); !ok {
		t.Fatal("keys are independent")
	}
	*now = now.Add(time.Second)
	if ok, _ := s.Acquire(ctx, "k", time.Second); !ok {
		t.Fatal("expired key not taken over")
	}
}

func TestAcquireRaceHasOneWinner(t *testing.T) {
	s, _ := newStore(t)
	var wins atomic.Int32
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ok, err := s.Acquire(context.Background(), "race", time.Minute)
			if err != nil {
				t.Error(err)
			}
			if ok {
				wins.Add(1)
			}
		}()
	}
	wg.Wait()
	if wins.Load() != 1 {
		t.Fatalf("%d winners", wins.Load())
	}
}

func TestSetGetDeleteSweep(t *testing.T) {
	s, now := newStore(t)
	ctx := context.Background()
	if _, ok, _ := s.Get(ctx, "v"); ok {
		t.Fatal("value before Set")
	}
	if err := s.Set(ctx, "v", "one", time.Minute); err != nil {
		t.Fatal(err)
	}
	if err := s.Set(ctx, "v", "two", time.Minute); err != nil {
		t.Fatal(err)
	}
	if v, ok, err := s.Get(ctx, "v"); !ok || v != "two" || err != nil {
		t.Fatalf("get: %q %v %v", v, ok, err)
	}
	if err := s.Delete(ctx, "v"); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := s.Get(ctx, "v"); ok {
		t.Fatal("value after Delete")
	}
	_ = s.Set(ctx, "short", "x", time.Second)
	_ = s.Set(ctx, "long", "y", time.Hour)
	*now = now.Add(2 * time.Second)
	if _, ok, _ := s.Get(ctx, "short"); ok {
		t.Fatal("expired value returned")
	}
	if n, err := s.Sweep(ctx); n != 1 || err != nil {
		t.Fatalf("sweep removed %d (%v), want 1", n, err)
	}
	if _, ok, _ := s.Get(ctx, "long"); !ok {
		t.Fatal("sweep removed a live key")
	}
}
