package room

import (
	"context"
	"io"
	"log/slog"
	"math/rand/v2"
	"reflect"
	"testing"

	"chaoqer/ent"
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
// reads (FeedWith.Clubs) are the clubs club.Service.Clubs loads, for every set
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
		plain, _, err := s.Feed(ctx, viewer, args, FeedWith{})
		if err != nil {
			t.Fatal(err)
		}
		if len(plain) == 0 {
			t.Fatal("empty feed")
		}
		after := page.Args{First: 20, After: plain[1].Cursor()}
		for _, a := range []page.Args{args, after} {
			want, wantInfo, err := s.Feed(ctx, viewer, a, FeedWith{})
			if err != nil {
				t.Fatal(err)
			}
			for f := club.Fields(0); f <= club.AllFields; f++ {
				got, info, err := s.Feed(ctx, viewer, a, FeedWith{Clubs: true, ClubFields: f})
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

// TestFeedPresenceReadsAsPresencesDoes pins that the presence the feed
// statement reads (FeedWith.Presence) is what Presences loads for the same
// rooms: the total, the first MaxMembers uids (hosts first, then by ruid,
// then uid), and an empty Presence for a room nobody is in. Every page of
// sizes 1, 5, 20 and 100 is walked through cursors of both segments, with
// and without the clubs; the rooms are those of the feed without presence.
func TestFeedPresenceReadsAsPresencesDoes(t *testing.T) {
	s, db := newService(t)
	ctx := context.Background()
	viewer, other := ids.New(), ids.New()
	clubID, err := s.clubs.Create(ctx, viewer, club.Input{Name: ptr("c"), Cover: ptr("c")})
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(13, 2))
	sizes := []int{0, 1, MaxMembers, MaxMembers + 1, 9, 15, 2, 0} // members per room, in turn
	at := int64(1_700_000_000_000)
	var presences []*ent.PresenceCreate
	for i := 0; i < 26; i++ {
		id := ids.New()
		at += 1000
		c := db.Room.Create().SetID(id).SetUID(other).SetName("r").SetCreateTime(at).SetSequenceID(ids.Seq(at, id))
		if i%2 == 0 {
			c.SetClubID(clubID)
		}
		c.ExecX(ctx)
		n := sizes[i%len(sizes)]
		for j := 0; j < n; j++ {
			// Few distinct ruids, so that uids break ties; any role.
			presences = append(presences, db.Presence.Create().SetRoomID(id).SetUID(ids.New()).
				SetRuid(int64(rng.IntN(n/2+1))).SetRole(rng.IntN(3)).SetConnID(ids.New()).
				SetInstanceID("test").SetCreateTime(0).SetSeenTime(0))
		}
	}
	// Stored in no particular order, so that no read gets the order for free.
	rng.Shuffle(len(presences), func(i, j int) { presences[i], presences[j] = presences[j], presences[i] })
	db.Presence.CreateBulk(presences...).ExecX(ctx)

	var empty, cut int // rooms seen with nobody connected, with more than MaxMembers
	for _, first := range []int{1, 5, 20, 100} {
		for _, with := range []FeedWith{{Presence: true}, {Presence: true, Clubs: true, ClubFields: club.AllFields}} {
			seen, after := 0, ""
			for {
				args := page.Args{First: first, After: after}
				plain, plainInfo, err := s.Feed(ctx, viewer, args, FeedWith{})
				if err != nil {
					t.Fatal(err)
				}
				got, info, err := s.Feed(ctx, viewer, args, with)
				if err != nil {
					t.Fatalf("%+v: %v", with, err)
				}
				if !reflect.DeepEqual(info, plainInfo) || len(got) != len(plain) {
					t.Fatalf("first %d after %q %+v: %d rooms %+v, want %d %+v", first, after, with, len(got), info, len(plain), plainInfo)
				}
				roomIDs := make([]string, len(got))
				for i, it := range got {
					roomIDs[i] = it.RoomID
				}
				want, err := s.Presences(ctx, roomIDs)
				if err != nil {
					t.Fatal(err)
				}
				for i, it := range got {
					if !reflect.DeepEqual(it.Room.Presence, want[it.RoomID]) {
						t.Errorf("first %d %+v: room %s presence %+v, want %+v", first, with, it.RoomID, it.Room.Presence, want[it.RoomID])
					}
					r := *it.Room
					r.Presence = nil
					if !reflect.DeepEqual(&r, plain[i].Room) {
						t.Errorf("first %d %+v: room %+v, want %+v", first, with, r, plain[i].Room)
					}
					switch p := it.Room.Presence; {
					case p.Total == 0:
						empty++
					case p.Total > MaxMembers:
						cut++
					}
				}
				seen += len(got)
				if !info.HasNextPage {
					break
				}
				after = *info.EndCursor
			}
			if seen != 26 {
				t.Fatalf("first %d %+v: %d rooms in all pages, want 26", first, with, seen)
			}
		}
	}
	if empty == 0 || cut == 0 {
		t.Fatalf("%d empty rooms, %d with more than %d members seen", empty, cut, MaxMembers)
	}
}

// TestJoinedPresence pins how the feed statement's joined uids are read: at
// most MaxMembers, no empty uid, none for a room nobody is in.
func TestJoinedPresence(t *testing.T) {
	for _, c := range []struct {
		total int
		uids  string
		want  *Presence
	}{
		{0, "", &Presence{}},
		{0, "a", &Presence{}},
		{1, "a", &Presence{Total: 1, UIDs: []string{"a"}}},
		{3, "a,,b,", &Presence{Total: 3, UIDs: []string{"a", "b"}}},
		{9, "a,b,c,d,e,f,g,h", &Presence{Total: 9, UIDs: []string{"a", "b", "c", "d", "e", "f"}}},
	} {
		if got := joinedPresence(c.total, c.uids); !reflect.DeepEqual(got, c.want) {
			t.Errorf("joinedPresence(%d, %q) = %+v, want %+v", c.total, c.uids, got, c.want)
		}
	}
}
