package graph

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/99designs/gqlgen/graphql"
	gqlparser "github.com/vektah/gqlparser/v2"

	"chaoqer/graph/club"
	"chaoqer/graph/room"
	"chaoqer/graph/user"
)

// feedSelection reaches the feed's rooms through an alias and a named
// fragment, their members and club behind @skip and @include, and profile
// fields through named and inline fragments.
const feedSelection = `
query Feed($first: Int, $withClub: Boolean!, $skipMembers: Boolean!) {
  roomFeed(first: $first) {
    edges {
      cursor
      node { ...Entry }
      other: node {
        room {
          creator { uid ... on User { viewerSentCard } }
          club @include(if: $withClub) { ...ClubBits }
        }
      }
    }
    pageInfo { hasNextPage }
  }
}
fragment Entry on RoomEntry {
  room {
    roomId
    members @skip(if: $skipMembers) { uid viewerHasBlocked ...Profile }
    ... on Room { club { name } }
  }
}
fragment Profile on User { cardTotal }
fragment ClubBits on Club { memberTotal viewerHasJoined }
`

// nodesSelection asks for the same field name (memberTotal) of two types
// and for user fields behind a variable, so that only the type filter
// tells a room's count from a club's.
const nodesSelection = `
query Nodes($ids: [ID!]!, $withBlocked: Boolean!) {
  ns: nodes(ids: $ids) {
    id
    ... on User { viewerHasBlocked @include(if: $withBlocked) cardTotal }
    ... on Room { memberTotal creator { viewerSentCard } members { ... on User { cardTotal } } }
    ...ClubCount
  }
}
fragment ClubCount on Club { viewerHasJoined }
`

// opField is the context of the resolver of the top-level field alias of
// query run with vars: its own operation and FieldContext.
func opField(t testing.TB, query string, vars map[string]any, alias string) context.Context {
	t.Helper()
	doc, errs := gqlparser.LoadQueryWithRules(NewExecutableSchema(Config{}).Schema(), query, nil)
	if len(errs) > 0 {
		t.Fatalf("query: %v", errs)
	}
	oc := &graphql.OperationContext{Doc: doc, Operation: doc.Operations[0], Variables: vars}
	ctx := graphql.WithOperationContext(context.Background(), oc)
	for _, f := range graphql.CollectFields(oc, oc.Operation.SelectionSet, []string{"Query"}) {
		if f.Alias == alias {
			return graphql.WithFieldContext(ctx, &graphql.FieldContext{Object: "Query", Field: f, IsResolver: true})
		}
	}
	t.Fatalf("no field %s", alias)
	return nil
}

// sameFields reports whether a and b are the same collected fields: the
// same AST fields with the same merged selections, in the same order.
func sameFields(a, b []graphql.CollectedField) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].Field != b[i].Field || len(a[i].Selections) != len(b[i].Selections) {
			return false
		}
		for j := range a[i].Selections {
			if a[i].Selections[j] != b[i].Selections[j] {
				return false
			}
		}
	}
	return true
}

func fieldNames(fs []graphql.CollectedField) string {
	out := make([]string, len(fs))
	for i, f := range fs {
		out[i] = f.Alias + ":" + f.Name
	}
	return strings.Join(out, " ")
}

// checkSameAsWalk asks the memo of ctx whether it reaches every path and
// for the fields there under every type filter (twice, in an order that
// reuses prefixes both ways), and compares each answer with a fresh walk of
// the same field.
func checkSameAsWalk(ctx context.Context, t *testing.T, paths [][]string) {
	t.Helper()
	memo := withSelections(ctx)
	if selectionsOf(memo) == nil {
		t.Fatal("withSelections installed no memo")
	}
	for round := 0; round < 2; round++ {
		for i := range paths {
			p := paths[len(paths)-1-i] // longest paths first, then from the root
			if round == 1 {
				p = paths[i]
			}
			if _, ok := walkSelection(ctx, nil, p...); wants(memo, p...) != ok {
				t.Errorf("path %v: memo wants %v, walk %v", p, !ok, ok)
			}
			for _, types := range [][]string{nil, userTypes, clubTypes, {"Room", "Node"}} {
				got, gotOK := selectionAt(memo, types, p...)
				want, wantOK := walkSelection(ctx, types, p...)
				if gotOK != wantOK || !sameFields(got, want) {
					t.Errorf("path %v types %v: memo %v [%s], walk %v [%s]", p, types, gotOK, fieldNames(got), wantOK, fieldNames(want))
				}
			}
		}
	}
}

var feedPaths = [][]string{
	{},
	{"edges"},
	{"edges", "node"},
	{"edges", "node", "room"},
	{"edges", "node", "room", "members"},
	{"edges", "node", "room", "creator"},
	{"edges", "node", "room", "club"},
	{"edges", "node", "room", "club", "name"},
	{"edges", "node", "room", "nope"},
	{"edges", "other"}, // an alias is not a field name
	{"edges", "cursor"},
	{"pageInfo"},
	{"nope", "node"},
}

// The memo answers what a fresh walk answers, through aliases, fragments
// and directives, with the variables of each operation.
func TestSelectionMemoMatchesWalk(t *testing.T) {
	for _, vars := range []map[string]any{
		{"withClub": true, "skipMembers": false},
		{"withClub": false, "skipMembers": true},
	} {
		checkSameAsWalk(opField(t, feedSelection, vars, "roomFeed"), t, feedPaths)
	}
	for _, vars := range []map[string]any{{"withBlocked": true}, {"withBlocked": false}} {
		checkSameAsWalk(opField(t, nodesSelection, vars, "ns"), t, [][]string{
			{}, {"id"}, {"creator"}, {"members"}, {"club"}, {"memberTotal"},
		})
	}
}

// Two operations of one document with different variables each get their
// own answer, and a memo reached through a context whose current field is
// another one's is not used.
func TestSelectionMemoPerOperation(t *testing.T) {
	first := map[string]any{"withClub": true, "skipMembers": false}
	other := map[string]any{"withClub": false, "skipMembers": true}
	at := []string{"edges", "node", "room"}
	members, clubs := append(at[:3:3], "members"), append(at[:3:3], "club")

	a := withSelections(opField(t, feedSelection, first, "roomFeed"))
	if !wants(a, members...) || userFieldsAt(a, members...) != user.FieldBlocked|user.FieldCardTotal {
		t.Errorf("with members: wants %v, fields %v", wants(a, members...), userFieldsAt(a, members...))
	}
	if got := clubFieldsAt(a, clubs...); got != club.FieldMemberTotal|club.FieldJoined {
		t.Errorf("with the club fragment: club fields %v", got)
	}
	if got := userFieldsAt(a, append(at[:3:3], "creator")...); got != user.FieldSendCard {
		t.Errorf("creator fields %v, want viewerSentCard", got)
	}
	want := room.FeedWith{Presence: true, Clubs: true, ClubFields: club.FieldMemberTotal | club.FieldJoined}
	if got := feedWithAt(a, at...); got != want {
		t.Errorf("feedWithAt %+v, want %+v", got, want)
	}

	// The second operation's field, in a context that still carries the
	// first one's memo (as a nested field's context would).
	bOp := opField(t, feedSelection, other, "roomFeed")
	b := graphql.WithFieldContext(graphql.WithOperationContext(a, graphql.GetOperationContext(bOp)), graphql.GetFieldContext(bOp))
	if selectionsOf(b) != nil {
		t.Fatal("another field's context uses the first field's memo")
	}
	for _, ctx := range []context.Context{b, withSelections(b)} {
		if wants(ctx, members...) {
			t.Error("@skip(if: true): members still wanted")
		}
		if !wants(ctx, clubs...) || clubFieldsAt(ctx, clubs...) != 0 {
			t.Errorf("@include(if: false): wants club %v (want true, from Entry), fields %v (want none)",
				wants(ctx, clubs...), clubFieldsAt(ctx, clubs...))
		}
		want := room.FeedWith{Presence: true, Clubs: true}
		if got := feedWithAt(ctx, at...); got != want {
			t.Errorf("feedWithAt %+v, want %+v", got, want)
		}
		if got := roomFieldsAt(ctx, at...); got != (roomFields{creator: true, club: true, users: user.FieldSendCard}) {
			t.Errorf("roomFieldsAt %+v", got)
		}
	}
	// The first operation's answers are unchanged by the second's.
	if got := roomFieldsAt(a, at...); got != (roomFields{
		creator: true, club: true, members: true,
		users: user.FieldSendCard | user.FieldBlocked | user.FieldCardTotal,
		clubs: club.FieldMemberTotal | club.FieldJoined,
	}) {
		t.Errorf("roomFieldsAt %+v", got)
	}
}

// The type filter keeps a room's memberTotal out of the club fields of a
// Node list, memoized or not.
func TestSelectionMemoTypeFilter(t *testing.T) {
	for _, withBlocked := range []bool{true, false} {
		ctx := opField(t, nodesSelection, map[string]any{"withBlocked": withBlocked}, "ns")
		wantUser := user.FieldCardTotal
		if withBlocked {
			wantUser |= user.FieldBlocked
		}
		for _, c := range []context.Context{ctx, withSelections(ctx)} {
			if got := clubFieldsAt(c); got != club.FieldJoined {
				t.Errorf("club fields %v, want viewerHasJoined only", got)
			}
			if got := userFieldsAt(c); got != wantUser {
				t.Errorf("withBlocked %v: user fields %v, want %v", withBlocked, got, wantUser)
			}
			if got := roomFieldsAt(c); got != (roomFields{creator: true, members: true, users: user.FieldSendCard | user.FieldCardTotal}) {
				t.Errorf("roomFieldsAt %+v", got)
			}
			all, _ := selectionAt(c, nil)
			if !strings.Contains(fieldNames(all), "memberTotal") {
				t.Errorf("unfiltered selection %s lacks the room's memberTotal", fieldNames(all))
			}
		}
	}
}

// Once walked, a lookup allocates nothing; sibling goroutines sharing the
// context (a loader's batch) read it safely.
func TestSelectionMemoReuse(t *testing.T) {
	ctx := withSelections(opField(t, feedSelection, map[string]any{"withClub": true, "skipMembers": false}, "roomFeed"))
	lookup := func() user.Fields { return userFieldsAt(ctx, "edges", "node", "room", "members") }
	want := lookup()
	if n := testing.AllocsPerRun(50, func() { lookup() }); n != 0 {
		t.Errorf("a memoized lookup allocates %v times", n)
	}
	var wg sync.WaitGroup
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for _, p := range feedPaths {
				selectionAt(ctx, clubTypes, p...)
			}
			if got := lookup(); got != want {
				t.Errorf("concurrent lookup %v, want %v", got, want)
			}
		}()
	}
	wg.Wait()
}

// A context without a field (a subscription's setup, a test) has no memo.
func TestSelectionMemoNeedsField(t *testing.T) {
	ctx := context.Background()
	if withSelections(ctx) != ctx {
		t.Error("a memo without a current field")
	}
}
