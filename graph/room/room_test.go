package room

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"testing"
	"time"

	"chaoqer/ent"
	"chaoqer/ent/entdb/entdbtest"
	"chaoqer/graph/agora"
	"chaoqer/graph/club"
	"chaoqer/graph/errs"
	"chaoqer/graph/ids"
	"chaoqer/graph/kvstore"
	"chaoqer/graph/message"
	"chaoqer/graph/push"
	"chaoqer/graph/user"
)

type noStatus struct{}

func (noStatus) SetStatus(context.Context, *ent.Client, string, int) error { return nil }

func newService(t *testing.T) (*Service, *ent.Client) {
	db := entdbtest.Open(t)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	q := push.NewQueue(push.Log{Logger: log}, 1, 100, log)
	t.Cleanup(q.Close)
	messages := message.New(db.Client, q)
	users := user.New(db, noStatus{}, messages, nil)
	return New(db, club.New(db), users, messages, kvstore.New(db.Client, db.Dialect),
		agora.New("0123456789abcdef0123456789abcdef", "fedcba9876543210fedcba9876543210")), db.Client
}

func openRoom(t *testing.T, db *ent.Client, creator string, inviteOnly int) string {
	id := ids.New()
	now := time.Now().UnixMilli()
	db.Room.Create().SetID(id).SetUID(creator).SetInviteOnly(inviteOnly).SetCreateTime(now).
		SetSequenceID(ids.Seq(now, id)).ExecX(context.Background())
	return id
}

func connect(t *testing.T, db *ent.Client, roomID, uid string, role int, ruid int64) {
	db.Presence.Create().SetRoomID(roomID).SetUID(uid).SetRuid(ruid).SetRole(role).SetConnID(ids.New()).
		SetInstanceID("test").SetCreateTime(0).SetSeenTime(0).ExecX(context.Background())
}

func TestPresencesListHostsFirstThenJoinOrder(t *testing.T) {
	s, db := newService(t)
	ctx := context.Background()
	r := openRoom(t, db, ids.New(), 0)
	uids := make([]string, 8)
	for i := range uids {
		uids[i] = ids.New()
	}
	// ruid order 0..7; roles: audience, speaker, host, audience, host, …
	roles := []int{0, 1, 2, 0, 2, 0, 1, 0}
	for i, u := range uids {
		connect(t, db, r, u, roles[i], int64(i))
	}
	empty := openRoom(t, db, ids.New(), 0)
	// A repeated id (the loader dedupes, other callers may not) reads the
	// room once.
	ps, err := s.Presences(ctx, []string{r, empty, r})
	if err != nil {
		t.Fatal(err)
	}
	p := ps[r]
	want := []string{uids[2], uids[4], uids[0], uids[1], uids[3], uids[5]}
	if p.Total != 8 || len(p.UIDs) != MaxMembers {
		t.Fatalf("total %d, %d uids", p.Total, len(p.UIDs))
	}
	for i := range want {
		if p.UIDs[i] != want[i] {
			t.Fatalf("order %v, want %v", p.UIDs, want)
		}
	}
	if ps[empty].Total != 0 || len(ps[empty].UIDs) != 0 {
		t.Fatalf("empty room: %+v", ps[empty])
	}
}

func TestMemberUIDsOfAnEmptyRoom(t *testing.T) {
	creator := ids.New()
	r := &Room{ID: ids.New(), UID: creator}
	if got := MemberUIDs(creator, r, &Presence{}); len(got) != 1 || got[0] != creator {
		t.Fatalf("creator sees %v", got)
	}
	if got := MemberUIDs(ids.New(), r, &Presence{}); got != nil {
		t.Fatalf("others see %v", got)
	}
}

func TestMayJoinPrivateRooms(t *testing.T) {
	s, db := newService(t)
	ctx := context.Background()
	creator, invited, inside, stranger := ids.New(), ids.New(), ids.New(), ids.New()
	private := openRoom(t, db, creator, 1)
	db.RoomInvite.Create().SetRoomID(private).SetUID(invited).SetInviterUID(creator).SetCreateTime(0).ExecX(ctx)
	connect(t, db, private, inside, 0, 1)
	for _, u := range []string{creator, invited, inside} {
		if err := s.MayJoin(ctx, u, private); err != nil {
			t.Errorf("%s refused: %v", u, err)
		}
	}
	if err := s.MayJoin(ctx, stranger, private); !errors.Is(err, errs.RoomNotFound) {
		t.Errorf("stranger: %v", err)
	}
	public := openRoom(t, db, creator, 0)
	if err := s.MayJoin(ctx, stranger, public); err != nil {
		t.Errorf("public room: %v", err)
	}
	if err := s.MayJoin(ctx, creator, ids.New()); !errors.Is(err, errs.RoomNotFound) {
		t.Errorf("unknown room: %v", err)
	}
}

func TestCloseIsIdempotentAndClearsLiveState(t *testing.T) {
	s, db := newService(t)
	ctx := context.Background()
	r := openRoom(t, db, ids.New(), 0)
	connect(t, db, r, ids.New(), 2, 1)
	var hooks int
	s.OnClose = func(context.Context, string) { hooks++ }
	for i := 0; i < 2; i++ {
		if err := s.Close(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	if hooks != 1 {
		t.Fatalf("OnClose called %d times", hooks)
	}
	if n := db.Presence.Query().CountX(ctx); n != 0 {
		t.Fatalf("%d presence rows left", n)
	}
	if err := s.MayJoin(ctx, ids.New(), r); !errors.Is(err, errs.RoomNotFound) {
		t.Fatalf("joining a closed room: %v", err)
	}
}
