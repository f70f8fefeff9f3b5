package room

import (
	"context"
	"database/sql"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	entroom "chaoqer/ent/room"
	"chaoqer/graph/errs"
	"chaoqer/graph/ids"
)

// TestAllows pins the access rule of spec §12 S5 for each kind of room.
func TestAllows(t *testing.T) {
	club := "0123456789abcdef0123456789abcdef"
	public, private, clubRoom := &Room{}, &Room{InviteOnly: true}, &Room{ClubID: &club}
	cases := []struct {
		name string
		r    *Room
		rel  Relation
		want bool
	}{
		{"public, stranger", public, Relation{}, true},
		{"private, stranger", private, Relation{}, false},
		{"private, club member (no club)", private, Relation{ClubMember: true}, false},
		{"private, creator", private, Relation{Creator: true}, true},
		{"private, invited", private, Relation{Invited: true}, true},
		{"private, connected", private, Relation{Connected: true}, true},
		{"club, stranger", clubRoom, Relation{}, false},
		{"club, member", clubRoom, Relation{ClubMember: true}, true},
		{"club, creator who left the club", clubRoom, Relation{Creator: true}, true},
		{"club, invited non-member", clubRoom, Relation{Invited: true}, true},
		{"club, connected non-member", clubRoom, Relation{Connected: true}, true},
	}
	for _, c := range cases {
		if got := Allows(c.r, c.rel); got != c.want {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
	}
}

// TestCheckAccessClubRooms: CheckAccess loads the relation from the
// database (membership, invitation, presence); Visible, for lists, only
// admits what it knows and never more than CheckAccess.
func TestCheckAccessClubRooms(t *testing.T) {
	s, db := newService(t)
	ctx := context.Background()
	creator, member, invited, inside, stranger := ids.New(), ids.New(), ids.New(), ids.New(), ids.New()
	clubID := ids.New()
	db.Club.Create().SetID(clubID).SetUID(creator).SetName("c").SetCover("c").SetCreateTime(0).ExecX(ctx)
	for _, u := range []string{creator, member} {
		db.ClubMember.Create().SetClubID(clubID).SetUID(u).SetAdmin(false).SetCreateTime(0).SetSequenceID(ids.Seq(0, clubID)).ExecX(ctx)
	}
	rid := openRoom(t, db, creator, 0)
	db.Room.UpdateOneID(rid).SetClubID(clubID).ExecX(ctx)
	db.RoomInvite.Create().SetRoomID(rid).SetUID(invited).SetInviterUID(member).SetCreateTime(0).ExecX(ctx)
	connect(t, db, rid, inside, 0, 1)
	r, err := s.load(ctx, rid)
	if err != nil {
		t.Fatal(err)
	}
	other, err := s.load(ctx, openRoom(t, db, stranger, 1))
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range []string{creator, member, invited, inside} {
		if err := s.CheckAccess(ctx, u, r); err != nil {
			t.Errorf("%s refused: %v", u, err)
		}
		// One room runs the "=" form of the statement (entdb.InKeys), more
		// the list form: the same relation.
		one, err := s.relations(ctx, u, []*Room{r})
		if err != nil {
			t.Fatal(err)
		}
		two, err := s.relations(ctx, u, []*Room{r, other})
		if err != nil {
			t.Fatal(err)
		}
		if one[r.ID] != two[r.ID] || one[r.ID] == (Relation{}) {
			t.Errorf("%s: one room %+v, two rooms %+v", u, one[r.ID], two[r.ID])
		}
	}
	for _, u := range []string{stranger, ""} {
		if err := s.CheckAccess(ctx, u, r); !errors.Is(err, errs.RoomNotFound) {
			t.Errorf("%q: %v", u, err)
		}
		if _, err := s.Get(ctx, u, rid); !errors.Is(err, errs.RoomNotFound) {
			t.Errorf("Get by %q: %v", u, err)
		}
	}
	p := &Presence{Total: 1, UIDs: []string{inside}}
	if Visible(stranger, r, p) || Visible(member, r, p) {
		t.Error("a list shows a club room without knowing the membership")
	}
	if !Visible(inside, r, p) || !Visible(creator, r, p) {
		t.Error("a list hides a club room from its creator or a connected user")
	}
	r.memberUID = member
	if !Visible(member, r, p) || Visible(stranger, r, p) {
		t.Error("the feed's membership is not applied to the one viewer it concerns")
	}
}

// TestCloseClubRoomsInTheCallersTransaction: the rooms close with the
// caller's transaction and are announced only once it commits.
func TestCloseClubRoomsInTheCallersTransaction(t *testing.T) {
	s, db := newService(t)
	ctx := context.Background()
	clubID := ids.New()
	var open []string
	for i := 0; i < 2; i++ {
		id := openRoom(t, db, ids.New(), 0)
		db.Room.UpdateOneID(id).SetClubID(clubID).ExecX(ctx)
		connect(t, db, id, ids.New(), 2, 1)
		open = append(open, id)
	}
	other := openRoom(t, db, ids.New(), 0)
	var announced []string
	s.OnClose = func(_ context.Context, id string) { announced = append(announced, id) }
	run := func(commit bool) {
		tx, err := db.Tx(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.CloseClubRooms(ctx, tx, clubID); err != nil {
			t.Fatal(err)
		}
		if len(announced) != 0 {
			t.Fatalf("announced before the commit: %v", announced)
		}
		if commit {
			err = tx.Commit()
		} else {
			err = tx.Rollback()
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	run(false)
	if n := db.Room.Query().Where(entroom.Closed(true)).CountX(ctx); n != 0 || len(announced) != 0 {
		t.Fatalf("rolled back: %d closed, announced %v", n, announced)
	}
	run(true)
	closed := db.Room.Query().Where(entroom.Closed(true)).IDsX(ctx)
	if !sameSet(closed, open) || !sameSet(announced, open) || db.Presence.Query().CountX(ctx) != 0 {
		t.Fatalf("closed %v, announced %v, want %v", closed, announced, open)
	}
	if r := db.Room.GetX(ctx, other); r.Closed {
		t.Fatal("a room of no club closed")
	}
}

func sameSet(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	m := map[string]int{}
	for _, x := range a {
		m[x]++
	}
	for _, x := range b {
		m[x]--
	}
	for _, n := range m {
		if n != 0 {
			return false
		}
	}
	return true
}

// TestClubDeletionWaitsForARoomBeingCreated: on PostgreSQL a club room's
// creation holds its creator's membership (club.HoldMembership), so a
// concurrent Leave that deletes the club waits for it and then closes the
// new room too; no room is left open with a deleted club. (On SQLite every
// transaction is immediate, so the two cannot interleave at all.)
func TestClubDeletionWaitsForARoomBeingCreated(t *testing.T) {
	if !strings.HasPrefix(os.Getenv("DATABASE_URL"), "postgres") {
		t.Skip("PostgreSQL only: SQLite serializes the two transactions")
	}
	s, db := newService(t)
	s.clubs.OnDelete = s.CloseClubRooms
	ctx := context.Background()
	creator, clubID := ids.New(), ids.New()
	db.Club.Create().SetID(clubID).SetUID(creator).SetName("c").SetCover("c").SetCreateTime(0).ExecX(ctx)
	db.ClubMember.Create().SetClubID(clubID).SetUID(creator).SetAdmin(false).SetCreateTime(0).
		SetSequenceID(ids.Seq(0, clubID)).ExecX(ctx)

	tx, err := db.Tx(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// Ends the transaction if the test stops early; after Commit it only
	// reports sql.ErrTxDone.
	defer func() { _ = tx.Rollback() }()
	if ok, err := s.clubs.HoldMembership(ctx, tx, creator, clubID); !ok || err != nil {
		t.Fatalf("membership: %v %v", ok, err)
	}
	pid := scanInt(t, func() (*sql.Rows, error) { return tx.QueryContext(ctx, "SELECT pg_backend_pid()") })
	left := make(chan error, 1)
	go func() { left <- s.clubs.Leave(ctx, creator, clubID) }()
	// Wait until the leave is blocked by this transaction.
	deadline := time.Now().Add(10 * time.Second)
	for {
		n := scanInt(t, func() (*sql.Rows, error) {
			return db.QueryContext(ctx, "SELECT count(*) FROM pg_stat_activity WHERE $1 = ANY(pg_blocking_pids(pid))", pid)
		})
		if n > 0 {
			break
		}
		select {
		case err := <-left:
			t.Fatalf("the leave did not wait for the room's creation: %v", err)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatal("the leave never blocked")
		}
		time.Sleep(5 * time.Millisecond)
	}
	r, err := s.insert(ctx, tx.Client(), creator, "new", clubID, false)
	if err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	if err := <-left; err != nil {
		t.Fatal(err)
	}
	if got := db.Room.GetX(ctx, r.ID); !got.Closed {
		t.Fatal("the room created while its club was deleted stayed open")
	}
}

// scanInt returns the integer a one-row, one-column query reads.
func scanInt(t *testing.T, query func() (*sql.Rows, error)) (n int) {
	t.Helper()
	rows, err := query()
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		if err := rows.Scan(&n); err != nil {
			t.Fatal(err)
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return n
}
