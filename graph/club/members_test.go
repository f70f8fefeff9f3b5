package club

import (
	"context"
	"reflect"
	"testing"

	"entgo.io/ent/dialect/sql"

	"chaoqer/ent"
	"chaoqer/ent/clubmember"
	"chaoqer/graph/user"

	"chaoqer/ent/entdb/entdbtest"
	"chaoqer/graph/ids"
	"chaoqer/graph/page"
)

// TestMemberPagesAreMembersPages pins MemberPages to members: for clubs of
// 0, 1, 7 and 30 members (some joining in the same millisecond), every
// page size and every cursor of every page (three-part, and the legacy
// two-part form), the batch gives each club exactly the page members
// gives, in one statement.
func TestMemberPagesAreMembersPages(t *testing.T) {
	store := entdbtest.Open(t)
	s, db, ctx := New(store), store.Client, context.Background()
	sizes := []int{0, 1, 7, 30}
	clubs := make([]string, len(sizes))
	for i, n := range sizes {
		clubs[i] = ids.New()
		db.Club.Create().SetID(clubs[i]).SetUID(ids.New()).SetName("c").SetCover("x").SetCreateTime(1).ExecX(ctx)
		for j := range n {
			at := int64(1000 + j/3) // three members per millisecond
			db.ClubMember.Create().SetClubID(clubs[i]).SetUID(ids.New()).SetCreateTime(at).
				SetSequenceID(ids.Seq(at, clubs[i])).ExecX(ctx)
		}
	}
	check := func(args page.Args) {
		t.Helper()
		before := store.Statements()
		got, err := s.MemberPages(ctx, clubs, args)
		if err != nil {
			t.Fatal(err)
		}
		if n := store.Statements() - before; n != 1 {
			t.Fatalf("%+v: %d statements", args, n)
		}
		for _, id := range clubs {
			items, info, err := members(ctx, s, id, args)
			if err != nil {
				t.Fatal(err)
			}
			want := &MemberPage{Items: items, Info: info}
			if len(items) == 0 {
				want.Items = nil
			}
			if g := got[id]; g == nil || !reflect.DeepEqual(g, want) {
				t.Fatalf("%+v, club of %d: %+v, want %+v", args, len(items), g, want)
			}
		}
	}
	for _, first := range []int{1, 2, 5, 20, 100} {
		check(page.Args{First: first})
		// Continue after every member of the largest club, both cursor forms.
		items, _, err := members(ctx, s, clubs[3], page.Args{First: 100})
		if err != nil {
			t.Fatal(err)
		}
		for _, it := range items {
			args, err := page.NewArgs(ctx, &first, &it.SequenceID, page.SeqTie)
			if err != nil {
				t.Fatal(err)
			}
			check(args)
			legacy := args
			legacy.Tie = ""
			check(legacy)
		}
	}
}

// members is one club's member page read on its own with an ent query: the
// reference MemberPages is checked against (it served Club.members before
// the pages were batched).
func members(ctx context.Context, s *Service, clubID string, args page.Args) ([]*user.Entry, page.Info, error) {
	q := s.db.ClubMember.Query().Where(clubmember.ClubID(clubID)).
		Order(ent.Desc(clubmember.FieldSequenceID), ent.Desc(clubmember.FieldUID)).Limit(args.First + 1)
	switch {
	case args.After == "":
	case args.Tie == "":
		q.Where(clubmember.SequenceIDLT(args.After))
	default:
		// A row-value comparison, which walks the (club_id, sequence_id,
		// uid) index on both databases.
		q.Where(func(sel *sql.Selector) {
			sel.Where(sql.CompositeLT([]string{clubmember.FieldSequenceID, clubmember.FieldUID}, args.After, args.Tie))
		})
	}
	rows, err := q.All(ctx)
	if err != nil {
		return nil, page.Info{}, err
	}
	items := make([]*user.Entry, len(rows))
	for i, r := range rows {
		items[i] = &user.Entry{UID: r.UID, CreateTime: r.CreateTime, SequenceID: page.TieCursor(r.SequenceID, r.UID)}
	}
	items, info := page.Trim(items, args.First, (*user.Entry).Cursor)
	return items, info, nil
}
