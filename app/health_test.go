package app_test

import (
	"encoding/json"
	"net/http"
	"testing"

	"chaoqer/rest/resttest"
)

// TestProbes checks /livez and /readyz on a whole server: unauthenticated
// and unsigned, every check named, and a broken schema turns readiness off
// naming the schema check.
func TestProbes(t *testing.T) {
	s := resttest.Start(t)
	get := func(path string) (int, map[string]any) {
		t.Helper()
		res, err := http.Get(s.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var body map[string]any
		if err := json.NewDecoder(res.Body).Decode(&body); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		return res.StatusCode, body
	}
	if code, body := get("/livez"); code != http.StatusOK || body["status"] != "ok" {
		t.Fatalf("/livez: %d %v", code, body)
	}
	code, body := get("/readyz")
	if code != http.StatusOK || body["status"] != "ok" {
		t.Fatalf("/readyz: %d %v", code, body)
	}
	names := map[string]bool{}
	for _, c := range body["checks"].([]any) {
		m := c.(map[string]any)
		names[m["name"].(string)] = m["status"] == "ok"
	}
	for _, n := range []string{"database", "schema", "room_bus"} {
		if !names[n] {
			t.Errorf("/readyz: check %s missing or failing: %v", n, body)
		}
	}

	// A migration file of this binary not applied: not ready.
	if _, err := s.App.DB.SQL.Exec("DELETE FROM atlas_schema_revisions"); err != nil {
		t.Fatal(err)
	}
	code, body = get("/readyz")
	if code != http.StatusServiceUnavailable {
		t.Fatalf("/readyz with a migration pending: %d %v", code, body)
	}
	if f, _ := body["failing"].([]any); len(f) != 1 || f[0] != "schema" {
		t.Errorf("/readyz failing = %v, want [schema]", body["failing"])
	}
}
