package kvstore

import (
	"context"
	"testing"
	"time"
)

func TestSetIfAbsentKeepsTheFirstValue(t *testing.T) {
	s, now := newStore(t)
	ctx := context.Background()
	if ok, err := s.SetIfAbsent(ctx, "key", "first", time.Minute); !ok || err != nil {
		t.Fatalf("first: %v %v", ok, err)
	}
	if ok, err := s.SetIfAbsent(ctx, "key", "second", time.Minute); ok || err != nil {
		t.Fatalf("second: %v %v", ok, err)
	}
	if v, ok, _ := s.Get(ctx, "key"); !ok || v != "first" {
		t.Fatalf("value %q %v", v, ok)
	}
	*now = now.Add(time.Minute)
	if ok, _ := s.SetIfAbsent(ctx, "key", "third", time.Minute); !ok {
		t.Fatal("an expired value was kept")
	}
	if v, _, _ := s.Get(ctx, "key"); v != "third" {
		t.Fatalf("value %q", v)
	}
}
