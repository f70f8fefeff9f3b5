package rest_test

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	lp "chaoqer/graph/linkpreview"
	"chaoqer/rest/resttest"
)

// Issue 8 item 7 end to end: a link shared in a live room that points at
// an internal address (here the IPv4-compatible ::127.0.0.1 and plain
// loopback, where a page is really served) is never fetched; the preview
// is marked failed and the legacy route answers the empty preview.
func TestSharedLinksToInternalAddressesAreNotFetched(t *testing.T) {
	var hits atomic.Int64
	site := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprint(w, "<title>internal</title>")
	}))
	defer site.Close()
	_, port, _ := net.SplitHostPort(site.Listener.Addr().String())

	srv := resttest.Start(t)
	host := srv.Onboard("Host")
	room := newRoom(t, srv, host.UID)
	connect(t, srv, room, host.UID, 2, 1)
	show := `mutation($r: ID!, $d: String!) { showLiveTool(roomId: $r, tool: LINK, data: $d) { message } }`
	for _, link := range []string{"http://[::127.0.0.1]:" + port + "/", "http://127.0.0.1:" + port + "/", "http://[64:ff9b:1::a00:1]/"} {
		gqlData(t, host.GraphQL(show, map[string]any{"r": room, "d": link}))
		key := lp.Key(link)
		eventually(t, "preview of "+link+" settled", func() bool {
			row, err := srv.App.DB.Client.LinkPreview.Get(context.Background(), key)
			return err == nil && row.Status == lp.StatusFailed
		})
		res := obj(t, host.Get("/app/link/preview/"+key, nil).MustOK(t))
		if res["title"] != "" || res["url"] != "" {
			t.Fatalf("%s: preview %v", link, res)
		}
	}
	if n := hits.Load(); n != 0 {
		t.Fatalf("the internal site was fetched %d times", n)
	}
}
