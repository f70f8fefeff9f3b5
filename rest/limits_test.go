package rest

import (
	"os"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/vektah/gqlparser/v2"

	"chaoqer/graph"
	"chaoqer/graph/limits"
)

// operationCosts pins the cost (graph/limits.Cost) of every legacy operation
// with the largest page (count = 100) and of every operation the load
// scripts send. A change here is a reviewed change of what an operation
// may cost; each must stay at most a quarter of the default limit.
var operationCosts = map[string]int{
	"BindPushDevice":          1,
	"BlockList":               302,
	"BlockUser":               1,
	"BookEvent":               1,
	"CardHolder":              302,
	"CloseRoom":               1,
	"Club":                    1,
	"ClubList":                302,
	"ClubMemberList":          302,
	"CreateClub":              2,
	"CreateEvent":             10,
	"CreateRoom":              9,
	"DeleteCard":              1,
	"DeleteEvent":             1,
	"Event":                   9,
	"EventList":               1101,
	"Feedback":                1,
	"H5Club":                  1,
	"H5Event":                 19,
	"H5Profile":               1,
	"H5Room":                  9,
	"ImageUpload":             2,
	"InitProfile":             2,
	"InviteToRoom":            1,
	"JoinClub":                2,
	"LeaveClub":               1,
	"LinkPreview":             1,
	"LoginWithCaptcha":        2,
	"Logout":                  1,
	"MessageList":             402,
	"Report":                  1,
	"RequestCaptcha":          1,
	"Room":                    8,
	"RoomList":                1001,
	"RoomToken":               1,
	"SendCard":                1,
	"ShareRoom":               1,
	"StartEvent":              10,
	"UnblockUser":             1,
	"UnreadTotal":             1,
	"UpdateEvent":             10,
	"UpdateProfile":           2,
	"UserProfile":             1,
	"VersionUpgrade":          1,
	"WeixinConfig":            1,
	"load:room_feed.lua#1":    1201,
	"load:room_feed.lua#2":    1201,
	"load:room_feed.sh#1":     2,
	"load:room_feed.sh#2":     1,
	"load:room_feed.sh#3":     2,
	"load:room_feed.sh#4":     1,
	"load:room_feed.sh#5":     2,
	"load:room_feed.sh/wrk#1": 201,
}

// TestOperationLimits shows every legacy and load-script operation far
// under the default limits of graph/limits.
func TestOperationLimits(t *testing.T) {
	schema := graph.NewExecutableSchema(graph.Config{Resolvers: &graph.Resolver{}}).Schema()
	ops, err := loadOperations(opsFS, schema)
	if err != nil {
		t.Fatal(err)
	}
	queries := map[string]string{}
	for name, op := range ops {
		queries[name] = op.query
	}
	for name, q := range loadScriptQueries(t) {
		queries[name] = q
	}
	def := limits.Defaults()
	names := make([]string, 0, len(queries))
	for n := range queries {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, name := range names {
		q := queries[name]
		if gerr := limits.CheckSize(q, def); gerr != nil {
			t.Errorf("%s: %v", name, gerr)
			continue
		}
		doc, gerrs := gqlparser.LoadQueryWithRules(schema, q, nil)
		if gerrs != nil {
			t.Errorf("%s: %v", name, gerrs)
			continue
		}
		cost := limits.Cost(doc.Operations[0], map[string]any{"count": 100, "first": 100})
		t.Logf("%-28s cost %4d", name, cost)
		if cost > def.MaxCost/4 {
			t.Errorf("%s: cost %d, over a quarter of the default limit %d", name, cost, def.MaxCost)
		}
		if want, ok := operationCosts[name]; !ok || want != cost {
			t.Errorf("%s: cost %d, pinned %d (update operationCosts when the change is intended)", name, cost, want)
		}
	}
}

// loadScriptQueries are the GraphQL documents of .ci/load: the wrk scripts'
// queries and the seeding mutations.
func loadScriptQueries(t *testing.T) map[string]string {
	out := map[string]string{}
	lua, err := os.ReadFile("../.ci/load/room_feed.lua")
	if err != nil {
		t.Fatal(err)
	}
	for i, m := range regexp.MustCompile(`(?s)\[\[(.*?)\]\]`).FindAllStringSubmatch(string(lua), -1) {
		out["load:room_feed.lua#"+string(rune('1'+i))] = m[1]
	}
	sh, err := os.ReadFile("../.ci/load/room_feed.sh")
	if err != nil {
		t.Fatal(err)
	}
	for i, m := range regexp.MustCompile(`gql\('([^']*)'`).FindAllStringSubmatch(string(sh), -1) {
		out["load:room_feed.sh#"+string(rune('1'+i))] = m[1]
	}
	for i, m := range regexp.MustCompile(`\{\\"query\\":\\"(.*?)\\"\}`).FindAllStringSubmatch(string(sh), -1) {
		out["load:room_feed.sh/wrk#"+string(rune('1'+i))] = strings.ReplaceAll(m[1], `\"`, `"`)
	}
	if len(out) < 4 {
		t.Fatalf("found only %d load-script queries", len(out))
	}
	return out
}
