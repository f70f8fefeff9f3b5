package club

import (
	"context"
	"testing"

	"chaoqer/ent/entdb/entdbtest"
	"chaoqer/graph/ids"
)

// One club id runs the "=" form of the clubs statement (entdb.InKeys): for
// every set of computed fields it gives what the list form gives, in one
// statement.
func TestClubOfOneIDMatchesTheListForm(t *testing.T) {
	store := entdbtest.Open(t)
	s, db, ctx := New(store), store.Client, context.Background()
	viewerUID, other := ids.New(), ids.New()
	a, b := ids.New(), ids.New()
	for _, id := range []string{a, b} {
		db.Club.Create().SetID(id).SetUID(other).SetName("c" + id[:4]).SetCover("x").SetCreateTime(1).
			ExecX(ctx)
	}
	for _, m := range []struct{ club, uid string }{{a, viewerUID}, {a, other}, {b, other}} {
		db.ClubMember.Create().SetClubID(m.club).SetUID(m.uid).SetCreateTime(1).
			SetSequenceID(ids.Seq(1, m.club)).ExecX(ctx)
	}
	for f := Fields(0); f <= AllFields; f++ {
		list, err := s.Clubs(ctx, viewerUID, []string{a, b}, f)
		if err != nil {
			t.Fatal(err)
		}
		for _, id := range []string{a, b} {
			before := store.Statements()
			one, err := s.Club(ctx, viewerUID, id, f)
			if err != nil {
				t.Fatal(err)
			}
			if n := store.Statements() - before; n != 1 {
				t.Errorf("fields %02b: %d statements", f, n)
			}
			if want := list[id]; want == nil || *one != *want {
				t.Errorf("fields %02b, club %s: %+v, want %+v", f, id, one, want)
			}
		}
		if f&FieldJoined != 0 && (!list[a].Joined || list[b].Joined) {
			t.Errorf("fields %02b: joined %v %v", f, list[a].Joined, list[b].Joined)
		}
		if f&FieldMemberTotal != 0 && (list[a].MemberTotal != 2 || list[b].MemberTotal != 1) {
			t.Errorf("fields %02b: member totals %d %d", f, list[a].MemberTotal, list[b].MemberTotal)
		}
	}
}
