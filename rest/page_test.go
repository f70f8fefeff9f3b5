package rest

import (
	"bytes"
	"encoding/json"
	"testing"
)

// The page echo is built from the bound variables (one parser), so it is
// always valid JSON whatever the request's text was.
func TestListResultEchoesBoundVariables(t *testing.T) {
	conn := []byte(`{"edges":[{"cursor":"c1","sequenceId":"s1","node":{"clubId":"a"}}]}`)
	got := listResult(conn, map[string]any{"count": int64(5), "lastId": "1614:ab"})
	var buf bytes.Buffer
	if err := json.NewEncoder(&buf).Encode(got); err != nil {
		t.Fatal(err)
	}
	want := `{"list":[{"clubId":"a","cursor":"c1","sequenceId":"s1"}],"page":{"count":5,"lastId":"1614:ab"}}` + "\n"
	if buf.String() != want {
		t.Fatalf("got %s want %s", buf.String(), want)
	}
	page := listResult(nil, map[string]any{"count": int64(10)}).(map[string]any)["page"].(map[string]any)
	if _, has := page["lastId"]; has || page["count"] != int64(10) {
		t.Fatalf("lastId must be omitted when not sent: %v", page)
	}
}

func TestPushAdminPathsAreNotDeviceIDs(t *testing.T) {
	for _, r := range routes {
		if r.method == "POST" && r.path == "/push/:jPushId" {
			cr, err := compileRoute(r, map[string]*operation{r.op: {}})
			if err != nil {
				t.Fatal(err)
			}
			if !cr.notServed["template"] || !cr.notServed["attach"] || cr.notServed["1a0018970a8b1d2e3f4"] {
				t.Fatalf("notServed = %v", cr.notServed)
			}
			return
		}
	}
	t.Fatal("no POST /push/:jPushId route")
}
