package room

import (
	"context"
	"io"
	"log/slog"
	"reflect"
	"testing"

	"chaoqer/ent/entdb/entdbtest"
	"chaoqer/graph/agora"
	"chaoqer/graph/club"
	"chaoqer/graph/ids"
	"chaoqer/graph/kvstore"
	"chaoqer/graph/message"
	"chaoqer/graph/page"
	"chaoqer/graph/push"
	"chaoqer/graph/user"
)

// TestFeedClubsReadAsClubsDoes pins that the clubs the feed statement
// reads (FeedClubs) are the clubs club.Service.Clubs loads, for every set
// of computed fields, on the first page and after a cursor; that a room
// without a club or whose club is gone has none; and that the feed's rooms
// are the same with and without the clubs.
func TestFeedClubsReadAsClubsDoes(t *testing.T) {
	ctx := context.Background()
	db := entdbtest.Open(t)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	q := push.NewQueue(push.Log{Logger: log}, 1, 100, log)
	t.Cleanup(q.Close)
	messages := message.New(db.Client, q)
	clubs := club.New(db)
	s := New(db, clubs, user.New(db, noStatus{}, messages, nil), messages, kvstore.New(db.Client, db.Dialect),
		agora.New("0123456789abcdef0123456789abcdef", "fedcba9876543210fedcba9876543210"))

	viewer, other := ids.New(), ids.New()
	kept, err := clubs.Create(ctx, viewer, club.Input{Name: ptr("kept"), Cover: ptr("c")})
	if err != nil {
		t.Fatal(err)
	}
	gone, err := clubs.Create(ctx, other, club.Input{Name: ptr("gone"), Cover: ptr("c")})
	if err != nil {
		t.Fatal(err)
	}
	if err := clubs.Join(ctx, other, kept); err != nil {
		t.Fatal(err)
	}
	if err := clubs.Join(ctx, viewer, gone); err != nil {
		t.Fatal(err)
	}
	at := int64(1_700_000_000_000)
	mk := func(clubID string) string {
		id := ids.New()
		at += 1000
		c := db.Client.Room.Create().SetID(id).SetUID(other).SetName("r").SetCreateTime(at).SetSequenceID(ids.Seq(at, id))
		if clubID != "" {
			c.SetClubID(clubID)
		}
		c.ExecX(ctx)
		return id
	}
	for i := 0; i < 3; i++ {
		mk(kept)
		mk(gone)
		mk("")
	}
	// The club row goes; its memberships and rooms stay.
	if err := db.Client.Club.DeleteOneID(gone).Exec(ctx); err != nil {
		t.Fatal(err)
	}

	for _, args := range []page.Args{{First: 20}, {First: 4}} {
		plain, _, err := s.Feed(ctx, viewer, args, nil)
		if err != nil {
			t.Fatal(err)
		}
		if len(plain) == 0 {
			t.Fatal("empty feed")
		}
		after := page.Args{First: 20, After: plain[1].Cursor()}
		for _, a := range []page.Args{args, after} {
			want, wantInfo, err := s.Feed(ctx, viewer, a, nil)
			if err != nil {
				t.Fatal(err)
			}
			for f := club.Fields(0); f <= club.AllFields; f++ {
				got, info, err := s.Feed(ctx, viewer, a, &FeedClubs{Fields: f})
				if err != nil {
					t.Fatalf("fields %b: %v", f, err)
				}
				if !reflect.DeepEqual(info, wantInfo) || len(got) != len(want) {
					t.Fatalf("fields %b: %d rooms %+v, want %d %+v", f, len(got), info, len(want), wantInfo)
				}
				ref, err := clubs.Clubs(ctx, viewer, []string{kept, gone}, f)
				if err != nil {
					t.Fatal(err)
				}
				for i, it := range got {
					if !reflect.DeepEqual(it.Room, want[i].Room) {
						t.Errorf("fields %b: room %+v, want %+v", f, it.Room, want[i].Room)
					}
					var wantClub *club.Club
					if it.Room.ClubID != nil {
						wantClub = ref[*it.Room.ClubID]
					}
					if !reflect.DeepEqual(it.Club, wantClub) {
						t.Errorf("fields %b: room %s club %+v, want %+v", f, it.RoomID, it.Club, wantClub)
					}
					if it.Club != nil && (it.Club.ID != kept || f&club.FieldMemberTotal != 0 && it.Club.MemberTotal != 2 ||
						f&club.FieldJoined != 0 && !it.Club.Joined) {
						t.Errorf("fields %b: club %+v", f, it.Club)
					}
				}
			}
		}
	}
}

func ptr(s string) *string { return &s }
