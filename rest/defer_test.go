package rest_test

import (
	"bytes"
	"encoding/json"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"

	"chaoqer/graph/gqlws"
	"chaoqer/rest/resttest"
)

const deferredProfile = `{ viewer { uid ... @defer(label: "p") { profile { nickname } } } }`

// deferPart is one payload of an incremental response.
type deferPart struct {
	Data struct {
		Viewer *struct {
			UID     string
			Profile *struct{ Nickname string }
		}
	}
	Incremental []struct {
		Data struct{ Profile *struct{ Nickname string } }
		Path []any
	}
	HasNext *bool
	Errors  []any
}

// TestDeferMultipart: a client that accepts multipart/mixed (Apollo
// Client's Accept) gets the viewer first and the deferred profile after it.
func TestDeferMultipart(t *testing.T) {
	srv := resttest.Start(t)
	alice := srv.Onboard("Alice")
	body, _ := json.Marshal(map[string]any{"query": deferredProfile})
	req, _ := http.NewRequest("POST", srv.URL+"/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "multipart/mixed;deferSpec=20220824,application/json")
	resp := alice.Do(req)
	mediaType, params, err := mime.ParseMediaType(resp.Headers.Get("Content-Type"))
	if err != nil || mediaType != "multipart/mixed" {
		t.Fatalf("content type %q: %s", resp.Headers.Get("Content-Type"), resp.Raw)
	}
	r := multipart.NewReader(bytes.NewReader(resp.Raw), params["boundary"])
	var parts []deferPart
	for {
		p, err := r.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("part %d: %v\n%s", len(parts), err, resp.Raw)
		}
		var d deferPart
		if err := json.NewDecoder(p).Decode(&d); err != nil {
			t.Fatalf("part %d: %v", len(parts), err)
		}
		parts = append(parts, d)
	}
	if len(parts) != 2 {
		t.Fatalf("want the initial and one deferred payload, got %d:\n%s", len(parts), resp.Raw)
	}
	first, last := parts[0], parts[1]
	if first.Data.Viewer == nil || first.Data.Viewer.UID != alice.UID || first.Data.Viewer.Profile != nil ||
		first.HasNext == nil || !*first.HasNext {
		t.Fatalf("initial payload: %s", resp.Raw)
	}
	if len(last.Incremental) != 1 || last.Incremental[0].Data.Profile == nil ||
		last.Incremental[0].Data.Profile.Nickname != "Alice" || last.HasNext == nil || *last.HasNext {
		t.Fatalf("deferred payload: %s", resp.Raw)
	}
	if p := last.Incremental[0].Path; len(p) != 1 || p[0] != "viewer" {
		t.Fatalf("path %v", p)
	}
}

// TestDeferInlineElsewhere: transports that carry one result (JSON POST,
// GET, WebSocket) answer @defer with everything inline, never a first
// payload whose rest never comes.
func TestDeferInlineElsewhere(t *testing.T) {
	srv := resttest.Start(t)
	alice := srv.Onboard("Alice")
	check := func(name string, raw []byte) {
		t.Helper()
		var d deferPart
		if err := json.Unmarshal(raw, &d); err != nil || d.Data.Viewer == nil || d.Data.Viewer.Profile == nil ||
			d.Data.Viewer.Profile.Nickname != "Alice" || d.HasNext != nil || len(d.Errors) > 0 {
			t.Fatalf("%s: %s", name, raw)
		}
	}
	check("POST", alice.GraphQL(deferredProfile, nil).Raw)
	// A named fragment spread, deferred, and the same document again (the
	// cached parse must not have been edited).
	const spread = `query { viewer { uid ...P @defer } } fragment P on Viewer { profile { nickname } }`
	check("POST fragment", alice.GraphQL(spread, nil).Raw)
	check("POST fragment again", alice.GraphQL(spread, nil).Raw)
	req, _ := http.NewRequest("GET", srv.URL+"/graphql?query="+strings.ReplaceAll(deferredProfile, " ", "%20"), nil)
	check("GET", alice.Do(req).Raw)

	s := dialGraphQL(t, srv, gqlws.Subprotocol, nil)
	s.init(auth(alice))
	s.send("subscribe", "1", map[string]any{"query": deferredProfile})
	check("WebSocket", s.expect("next").Payload)
	s.expect("complete")
}

// A request accepting multipart/mixed that never runs (unparsable,
// invalid, undecodable) is answered as over JSON: errors only, no data
// entry, 200 for a document error and 400 for an undecodable body.
func TestDeferMultipartRequestErrors(t *testing.T) {
	srv := resttest.Start(t)
	alice := srv.Onboard("Alice")
	for _, c := range []struct {
		body   string
		status int
		code   string
	}{
		{`{"query":"{ nope }"}`, http.StatusOK, "GRAPHQL_VALIDATION_FAILED"},
		{`{"query":"{ viewer { "}`, http.StatusOK, "GRAPHQL_PARSE_FAILED"},
		{`{"query":5}`, http.StatusBadRequest, "BAD_REQUEST"},
	} {
		req, _ := http.NewRequest("POST", srv.URL+"/graphql", strings.NewReader(c.body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept", "multipart/mixed;deferSpec=20220824,application/json")
		r := alice.Do(req)
		_, hasData := r.Body["data"]
		errs, _ := r.Body["errors"].([]any)
		var code any
		if len(errs) == 1 {
			code = errs[0].(map[string]any)["extensions"].(map[string]any)["code"]
		}
		if r.HTTP != c.status || hasData || code != c.code || !strings.HasPrefix(r.Headers.Get("Content-Type"), "application/json") ||
			strings.Contains(string(r.Raw), "Go ") {
			t.Errorf("%s: %d %s %s", c.body, r.HTTP, r.Headers.Get("Content-Type"), r.Raw)
		}
	}
}
