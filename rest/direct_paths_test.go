package rest_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"testing"

	"chaoqer/app"
	"chaoqer/rest/resttest"
)

// The shortcuts graph/execrewrite adds to gqlgen's executor (plain fields
// marshalled directly, lists inline unless their selection reaches a
// resolver, fields collected once) change no answer: a server without a
// cost limit takes gqlgen's ordinary path for every field, and on the same
// data both answer every operation with the same bytes.
func TestDirectPathsAnswerAsGqlgenDoes(t *testing.T) {
	var dbURL string
	direct := resttest.Start(t, func(c *app.Config) { dbURL = c.DatabaseURL })
	ordinary := resttest.Start(t, func(c *app.Config) { c.DatabaseURL, c.GraphQL.MaxCost = dbURL, 0 })
	v := direct.Onboard("Viewer")
	seedRooms(t, direct, v, 12)
	other := direct.Onboard("Other")
	v.Post("/user/"+other.UID+"/block", P{}).MustOK(t)
	feed := list(t, v.Get("/room", P{"count": 3}).MustOK(t))
	roomID := feed[0]["roomId"].(string)

	const room = `roomId name inviteOnly createTime memberTotal id __typename
	  creator { uid nickname avatar bio viewerHasBlocked viewerSentCard cardTotal allowLive }
	  club { clubId name cover memberTotal viewerHasJoined }
	  members { uid nickname avatar bio viewerHasBlocked viewerSentCard cardTotal allowLive id }`
	for _, c := range []struct {
		query string
		vars  map[string]any
	}{
		{`query($n: Int) { roomFeed(first: $n) { edges { cursor node { roomId createTime room { ` + room + ` } } } pageInfo { hasNextPage endCursor } } }`,
			map[string]any{"n": 7}},
		// Club creator and members are resolvers: the rooms' list stays concurrent.
		{`{ roomFeed(first: 5) { edges { node { room { name club { name creator { uid nickname } members(first: 3) { edges { node { uid } } } } } } } } }`, nil},
		{`query($more: Boolean!) { a: roomFeed(first: 4) { edges { c: cursor node { ...E } } } } fragment E on RoomEntry { room { ...R members @include(if: $more) { nickname } } } fragment R on Room { n: name memberTotal creator @skip(if: $more) { uid } }`,
			map[string]any{"more": true}},
		{`query($more: Boolean!) { a: roomFeed(first: 4) { edges { node { room { memberTotal members @include(if: $more) { nickname } creator @skip(if: $more) { uid } } } } } }`,
			map[string]any{"more": false}},
		{`query($id: ID!) { room(roomId: $id) { ` + room + ` } }`, map[string]any{"id": roomID}},
		{`query($id: ID!) { room(roomId: $id) { name } missing: room(roomId: "0123456789abcdef0123456789abcdef") { name } }`, map[string]any{"id": roomID}},
		{`query($u: ID!) { user(uid: $u) { uid nickname avatar bio viewerHasBlocked viewerSentCard cardTotal allowLive } viewer { uid } }`,
			map[string]any{"u": other.UID}},
		{`query($ids: [ID!]!) { nodes(ids: $ids) { __typename id ... on User { nickname } ... on Room { name memberTotal members { uid } } } }`,
			map[string]any{"ids": []string{feed[0]["roomResult"].(map[string]any)["memberList"].([]any)[0].(map[string]any)["uid"].(string), "bad"}}},
		{`{ roomFeed(first: 2) { edges { node { room { name } ... @defer { roomId } } } } }`, nil},
	} {
		body, _ := json.Marshal(map[string]any{"query": c.query, "variables": c.vars})
		answer := func(s *resttest.Server) *resttest.Response {
			req, _ := http.NewRequest("POST", s.URL+"/graphql", bytes.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			return v.Do(req)
		}
		a, b := answer(direct), answer(ordinary)
		if a.HTTP != http.StatusOK || !bytes.Equal(a.Raw, b.Raw) {
			t.Errorf("%s\n direct   %d %s\n ordinary %d %s", c.query, a.HTTP, a.Raw, b.HTTP, b.Raw)
		}
		if bytes.Contains(a.Raw, []byte(`"errors"`)) && !bytes.Contains(a.Raw, []byte(`missing`)) && !bytes.Contains(a.Raw, []byte(`"bad"`)) {
			t.Logf("%s: %s", c.query, a.Raw) // an error answer compares too; shown for the reader
		}
	}
}
