package gqlws

import (
	"net/http"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestTruncateKeepsCloseReasonsValid(t *testing.T) {
	long := "Unexpected message of type " + strings.Repeat("界", 60) + " received"
	got := truncate(long)
	if len(got) > 123 || !utf8.ValidString(got) || !strings.HasPrefix(long, got) {
		t.Fatalf("%d bytes, valid %v: %q", len(got), utf8.ValidString(got), got)
	}
	if truncate("Unauthorized") != "Unauthorized" {
		t.Fatal("short reasons are kept")
	}
}

func TestOffers(t *testing.T) {
	r := &http.Request{Header: http.Header{"Sec-Websocket-Protocol": {"graphql-ws, graphql-transport-ws"}}}
	if !offers(r, Subprotocol) || !offers(r, legacySubprotocol) || offers(r, "other") {
		t.Fatal("offers reads the comma list")
	}
	if offers(&http.Request{Header: http.Header{}}, Subprotocol) {
		t.Fatal("no header offers nothing")
	}
}
