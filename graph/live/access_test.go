package live

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"testing"

	"chaoqer/ent/presence"
	"chaoqer/graph/bus"
	"chaoqer/graph/errs"
	"chaoqer/graph/ids"
	"chaoqer/graph/kvstore"
)

// refusing is a room service whose access rule refuses one user.
type refusing struct {
	dbCloser
	uid string
}

func (r refusing) MayJoin(_ context.Context, uid, _ string) error {
	if uid == r.uid {
		return errs.RoomNotFound
	}
	return nil
}

// TestEveryEntryAsksTheRoomRule: joining, reading the live state, acting
// and leaving all ask Rooms.MayJoin, and a refusal is ErrRoomClosed (400000
// to clients) even for a user the presence table lists.
func TestEveryEntryAsksTheRoomRule(t *testing.T) {
	e := newEnv(t, Config{})
	stranger := ids.New()
	rooms := refusing{dbCloser: dbCloser{Client: e.c}, uid: stranger}
	s := New(e.s.db, kvstore.New(e.c, e.s.db.Dialect), rooms, e.links, slog.New(slog.NewTextHandler(io.Discard, nil)), Config{})
	s.SetBus(bus.NewLocal(s.Deliver))
	ctx := context.Background()
	room := e.room(ids.New())
	// Even a presence row (say, from before the rule changed) opens nothing.
	e.c.Presence.Create().SetRoomID(room).SetUID(stranger).SetRuid(1).SetRole(RoleHost).SetConnID(ids.New()).
		SetInstanceID("x").SetCreateTime(0).SetSeenTime(0).ExecX(ctx)

	if _, err := s.Connect(ctx, room, stranger); !errors.Is(err, ErrRoomClosed) {
		t.Errorf("Connect: %v", err)
	}
	if _, err := s.Snapshot(ctx, room, stranger); !errors.Is(err, ErrRoomClosed) {
		t.Errorf("Snapshot: %v", err)
	}
	if _, err := s.Act(ctx, room, stranger, NewFrame("live", stranger, "open", nil)); !errors.Is(err, ErrRoomClosed) {
		t.Errorf("Act: %v", err)
	}
	if err := s.Leave(ctx, room, stranger); !errors.Is(err, ErrRoomClosed) {
		t.Errorf("Leave: %v", err)
	}
	if n := e.c.Presence.Query().Where(presence.RoomID(room)).CountX(ctx); n != 1 {
		t.Errorf("%d presence rows", n)
	}
	if r := e.c.Room.GetX(ctx, room); r.Closed || r.LiveState != nil {
		t.Errorf("room changed: %+v", r)
	}
}
