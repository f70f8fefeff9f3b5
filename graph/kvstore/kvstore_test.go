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

func TestIncrCountsInAWindow(t *testing.T) {
	s, now := newStore(t)
	ctx := context.Background()
	for want := 1; want <= 3; want++ {
		if n, err := s.Incr(ctx, "c", time.Hour); n != want || err != nil {
			t.Fatalf("incr %d: %v %v", want, n, err)
		}
	}
	if n, err := s.Count(ctx, "c"); n != 3 || err != nil {
		t.Fatalf("count: %v %v", n, err)
	}
	*now = now.Add(59 * time.Minute)
	if n, _ := s.Incr(ctx, "c", time.Hour); n != 4 {
		t.Fatalf("within the window: %d", n)
	}
	*now = now.Add(time.Minute)
	if n, _ := s.Count(ctx, "c"); n != 0 {
		t.Fatalf("expired count: %d", n)
	}
	if n, _ := s.Incr(ctx, "c", time.Hour); n != 1 {
		t.Fatalf("new window: %d", n)
	}
}

func TestIncrConcurrent(t *testing.T) {
	s, _ := newStore(t)
	var wg sync.WaitGroup
	for range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := s.Incr(context.Background(), "c", time.Hour); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if n, _ := s.Count(context.Background(), "c"); n != 20 {
		t.Fatalf("count %d, want 20", n)
	}
}
