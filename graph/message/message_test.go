package message

import (
	"context"
	"io"
	"log/slog"
	"testing"

	"chaoqer/ent/entdb/entdbtest"
	"chaoqer/graph/ids"
	"chaoqer/graph/page"
	"chaoqer/graph/push"
)

func newService(t *testing.T) *Service {
	db := entdbtest.Open(t)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	q := push.NewQueue(push.Log{Logger: log}, 1, 100, log)
	t.Cleanup(q.Close)
	return New(db.Client, q)
}

func TestSendDropsInvalidNotices(t *testing.T) {
	s := newService(t)
	ctx := context.Background()
	uid := ids.New()
	err := s.Send(ctx,
		Notice{UID: uid, OriginPushType: push.OriginSystem, Title: "ok", Content: "c", URL: "u"},
		Notice{UID: "", OriginPushType: push.OriginSystem, Title: "no uid"},
		Notice{UID: uid, OriginPushType: 3, Title: "bad type"},
		Notice{UID: uid, OriginPushType: push.OriginInteractive, Title: "no origin"},
		Notice{UID: uid, OriginPushType: push.OriginInteractive, OriginUID: ids.New(), Title: "ok too"},
	)
	if err != nil {
		t.Fatal(err)
	}
	if n, _ := s.UnreadTotal(ctx, uid); n != 2 {
		t.Fatalf("%d stored, want 2", n)
	}
}

func TestListNewestFirstAndMarksRead(t *testing.T) {
	s := newService(t)
	ctx := context.Background()
	uid := ids.New()
	for _, title := range []string{"1", "2", "3"} {
		if err := s.Send(ctx, Notice{UID: uid, OriginPushType: push.OriginSystem, Title: title}); err != nil {
			t.Fatal(err)
		}
	}
	items, info, err := s.List(ctx, uid, page.Args{First: 2})
	if err != nil || len(items) != 2 || !info.HasNextPage || items[0].MessageBody.Title != "3" || !items[0].Unread {
		t.Fatalf("first page: %+v %+v %v", items, info, err)
	}
	if items[0].MessageID <= items[1].MessageID {
		t.Fatal("ids are not monotonic")
	}
	if n, _ := s.UnreadTotal(ctx, uid); n != 1 {
		t.Fatalf("unread after listing two: %d", n)
	}
	two := 2
	next, err := page.NewArgs(ctx, &two, info.EndCursor, page.Number)
	if err != nil {
		t.Fatal(err)
	}
	rest, info, err := s.List(ctx, uid, next)
	if err != nil || len(rest) != 1 || rest[0].MessageBody.Title != "1" || info.HasNextPage {
		t.Fatalf("second page: %+v %v", rest, err)
	}
	again, _, _ := s.List(ctx, uid, page.Args{First: 10})
	for _, m := range again {
		if m.Unread {
			t.Fatalf("still unread after listing: %+v", m)
		}
	}
	// Other users' messages are not listed.
	if other, _, _ := s.List(ctx, ids.New(), page.Args{First: 10}); len(other) != 0 {
		t.Fatal("listed someone else's messages")
	}
}
