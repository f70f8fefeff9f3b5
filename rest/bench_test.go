package rest_test

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"testing"
	"time"

	"chaoqer/rest"
	"chaoqer/rest/resttest"
)

// BenchmarkLegacyProfile measures GET /user/{uid}/profile (signed,
// authenticated) through the whole in-process stack, without the network.
func BenchmarkLegacyProfile(b *testing.B) {
	srv := resttest.Start(b)
	a, other := srv.Onboard("A"), srv.Onboard("B")
	ts := strconv.FormatInt(time.Now().UnixMilli(), 10)
	sign := rest.Sign(map[string]any{"ts": ts}, a.Secret)
	target := "/user/" + other.UID + "/profile?" + url.Values{"ts": {ts}, "sign": {sign}}.Encode()
	warm, _ := http.NewRequest("GET", srv.URL+target, nil)
	a.Do(warm) // caches the session
	auth := a.AuthorizationHeader()
	h := srv.App.Handler()
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			r := httptest.NewRequest("GET", target, nil)
			r.Header.Set("Authorization", auth)
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			if w.Code != http.StatusOK {
				b.Fatalf("status %d: %s", w.Code, w.Body)
			}
		}
	})
}
