package rest_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
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
	// Strings needing every escape form gqlgen writes (NUL aside, which
	// PostgreSQL's text refuses; the render functions' fuzz test has it).
	var controls []byte
	for c := byte(1); c < 0x20; c++ {
		controls = append(controls, c)
	}
	escapes := map[string]any{"n": "q\"b\\s\t\r\n\x01\x1fé<>&\u2028", "b": string(controls) + `"\ é 😀 </script>`}
	if r := other.GraphQL(`mutation($n: String, $b: String) { updateProfile(input: {nickname: $n, avatar: "a\"v", bio: $b}) { message } }`, escapes); r.HTTP != http.StatusOK || bytes.Contains(r.Raw, []byte(`"errors"`)) {
		t.Fatalf("updateProfile: %d %s", r.HTTP, r.Raw)
	}
	ids := v.GraphQL(`query($r: ID!, $u: ID!) { room(roomId: $r) { id } user(uid: $u) { id } }`, map[string]any{"r": roomID, "u": other.UID})
	var nodeIDs struct {
		Data struct{ Room, User struct{ ID string } }
	}
	if err := json.Unmarshal(ids.Raw, &nodeIDs); err != nil || nodeIDs.Data.Room.ID == "" || nodeIDs.Data.User.ID == "" {
		t.Fatalf("node ids: %v %s", err, ids.Raw)
	}

	const room = `roomId name inviteOnly createTime memberTotal id __typename
	  creator { uid nickname avatar bio viewerHasBlocked viewerSentCard cardTotal allowLive }
	  club { clubId name cover memberTotal viewerHasJoined }
	  members { uid nickname avatar bio viewerHasBlocked viewerSentCard cardTotal allowLive id }`
	for _, c := range []struct {
		query string
		vars  map[string]any
		clean bool // must answer without errors
	}{
		{`query($n: Int) { roomFeed(first: $n) { edges { cursor node { roomId createTime room { ` + room + ` } } } pageInfo { hasNextPage endCursor } } }`,
			map[string]any{"n": 7}, false},
		// Club creator and members are resolvers: the rooms' list stays concurrent.
		{`{ roomFeed(first: 5) { edges { node { room { name club { name creator { uid nickname } members(first: 3) { edges { node { uid } } } } } } } } }`, nil, false},
		{`query($more: Boolean!) { a: roomFeed(first: 4) { edges { c: cursor node { ...E } } } } fragment E on RoomEntry { room { ...R members @include(if: $more) { nickname } } } fragment R on Room { n: name memberTotal creator @skip(if: $more) { uid } }`,
			map[string]any{"more": true}, false},
		{`query($more: Boolean!) { a: roomFeed(first: 4) { edges { node { room { memberTotal members @include(if: $more) { nickname } creator @skip(if: $more) { uid } } } } } }`,
			map[string]any{"more": false}, false},
		{`query($id: ID!) { room(roomId: $id) { ` + room + ` } }`, map[string]any{"id": roomID}, false},
		{`query($id: ID!) { room(roomId: $id) { name } missing: room(roomId: "0123456789abcdef0123456789abcdef") { name } }`, map[string]any{"id": roomID}, false},
		{`query($u: ID!) { user(uid: $u) { uid nickname avatar bio viewerHasBlocked viewerSentCard cardTotal allowLive } viewer { uid } }`,
			map[string]any{"u": other.UID}, false},
		{`query($ids: [ID!]!) { nodes(ids: $ids) { __typename id ... on User { nickname } ... on Room { name memberTotal members { uid } } } }`,
			map[string]any{"ids": []string{feed[0]["roomResult"].(map[string]any)["memberList"].([]any)[0].(map[string]any)["uid"].(string), "bad"}}, false},
		{`{ roomFeed(first: 2) { edges { node { room { name } ... @defer { roomId } } } } }`, nil, false},
		// Objects of scalars only, rendered whole: escapes, a nullable
		// field null (the viewer's bio) and set, __typename, aliases, a
		// field selected twice under one alias, fragments.
		{`query($u: ID!) { user(uid: $u) { __typename t: __typename uid n: nickname nickname nickname a: uid a: uid avatar bio id cardTotal allowLive viewerHasBlocked ...F }
		  viewer { uid profileInitialized profile { uid bio nickname ...F b: bio } } me: viewer { profileInitialized uid } } fragment F on User { bio nickname }`,
			map[string]any{"u": other.UID}, true},
		{`query($ids: [ID!]!) { nodes(ids: $ids) { __typename ... on Node { id } ... on User { id uid nickname bio } ... on Room { roomId name createTime inviteOnly memberTotal } } }`,
			map[string]any{"ids": []string{nodeIDs.Data.Room.ID, nodeIDs.Data.User.ID}}, true},
		{`query($n: Int) { roomFeed(first: $n) { edges { node { room { creator { uid nickname } club { clubId name } members { uid nickname avatar } } } } } }`,
			map[string]any{"n": 5}, true},
		// A field deferred for real: the club keeps gqlgen's field set.
		{`{ roomFeed(first: 1) { edges { node { room { name club { name ... @defer(label: "c") { creator { uid nickname } } } } } } } }`, nil, true},
		// Introspection's objects are rendered whole too (descriptions hold
		// quotes and newlines; a nullable getter is null for most types).
		{`{ __schema { queryType { kind name } types { __typename kind name description specifiedByURL isOneOf
		  fields(includeDeprecated: true) { name description isDeprecated deprecationReason }
		  enumValues(includeDeprecated: true) { name description isDeprecated deprecationReason } } }
		  __type(name: "User") { kind name description } }`, nil, true},
	} {
		body, _ := json.Marshal(map[string]any{"query": c.query, "variables": c.vars})
		answer := func(s *resttest.Server) *resttest.Response {
			req, _ := http.NewRequest("POST", s.URL+"/graphql", bytes.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			if strings.Contains(c.query, "@defer(label") { // delivered incrementally
				req.Header.Set("Accept", "multipart/mixed; deferSpec=20220824")
			}
			return v.Do(req)
		}
		a, b := answer(direct), answer(ordinary)
		if a.HTTP != http.StatusOK || !bytes.Equal(a.Raw, b.Raw) {
			t.Errorf("%s\n direct   %d %s\n ordinary %d %s", c.query, a.HTTP, a.Raw, b.HTTP, b.Raw)
		}
		if c.clean && bytes.Contains(a.Raw, []byte(`"errors"`)) {
			t.Errorf("%s: %s", c.query, a.Raw)
		}
		if testing.Verbose() && c.clean {
			t.Logf("%s", a.Raw)
		}
		if bytes.Contains(a.Raw, []byte(`"errors"`)) && !bytes.Contains(a.Raw, []byte(`missing`)) && !bytes.Contains(a.Raw, []byte(`"bad"`)) {
			t.Logf("%s: %s", c.query, a.Raw) // an error answer compares too; shown for the reader
		}
	}
}
