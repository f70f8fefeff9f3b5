package rest_test

import (
	"testing"
	"time"

	"chaoqer/app"
	"chaoqer/rest/resttest"
)

// TestFeedProfilesFromTheCache pins the profile cache (CHAOQER_PROFILE_CACHE_TTL)
// through HTTP: a feed page whose profiles select no viewer relation costs
// one statement once its profiles were read, one selecting viewer relations
// still reads them, and a profile change made through this instance shows on
// the next page.
func TestFeedProfilesFromTheCache(t *testing.T) {
	srv := resttest.Start(t, func(c *app.Config) { c.ProfileCacheTTL = time.Hour })
	v := srv.Onboard("Viewer")
	seedRooms(t, srv, v, 30)
	const card = `query($n: Int) { roomFeed(first: $n) { edges { node { room {
	  roomId name creator { uid nickname } members { uid nickname avatar } } } } } }`
	page := func(n int) (int64, string) {
		var nickname string
		cost := statements(t, srv, v, func() *resttest.Response {
			r := v.GraphQL(card, map[string]any{"n": n})
			edges := obj(t, obj(t, r.Body["data"])["roomFeed"])["edges"].([]any)
			if len(edges) != n {
				t.Fatalf("page of %d: %s", n, r)
			}
			room := obj(t, obj(t, obj(t, edges[0])["node"])["room"])
			if len(room["members"].([]any)) != 6 {
				t.Fatalf("page of %d: members %v", n, room["members"])
			}
			nickname = obj(t, room["creator"])["nickname"].(string)
			return r
		})
		return cost, nickname
	}
	page(20) // onboarding has read some of the profiles already
	warm, nick := page(20)
	if warm != 1 || nick != "Viewer" {
		t.Fatalf("warm page: %d statements, creator %q; want 1 and Viewer", warm, nick)
	}
	// A page whose profiles select viewer relations still reads them.
	withRelations := statements(t, srv, v, func() *resttest.Response {
		return v.GraphQL(`{ roomFeed(first: 5) { edges { node { room { members { uid viewerHasBlocked } } } } } }`, nil)
	})
	if withRelations != feedStatements {
		t.Fatalf("page with viewer relations: %d statements, want %d", withRelations, feedStatements)
	}

	// An update whose answer does not read the profile again.
	r := v.GraphQL(`mutation { updateProfile(input: {nickname: "Renamed", avatar: "https://cdn.example.com/r.jpg"}) { message } }`, nil)
	if r.HTTP != 200 || r.Body["errors"] != nil {
		t.Fatalf("updateProfile: %s", r)
	}
	if _, nick := page(20); nick != "Renamed" {
		t.Fatalf("after the update: creator %q, want Renamed", nick)
	}
	// The legacy update, whose answer reads the profile.
	v.Put("/user/profile", P{"nickname": "Again", "avatar": "https://cdn.example.com/r.jpg"}).MustOK(t)
	if _, nick := page(20); nick != "Again" {
		t.Fatalf("after the legacy update: creator %q, want Again", nick)
	}
}
