package rest

import (
	"maps"
	"net/http"
	"slices"
	"strings"

	"github.com/gin-gonic/gin"

	"chaoqer/graph/ids"
)

// methods are the HTTP methods a route answers: HEAD with every GET.
func (r *route) methods() []string {
	if r.method == http.MethodGet {
		return []string{http.MethodGet, http.MethodHead}
	}
	return []string{r.method}
}

// matches reports whether path has the route's shape (its static segments,
// one segment per parameter, optionally one trailing slash) and whether its
// ids also pass the 32-hex rule of the Spring patterns (`{uid:[a-f0-9]{32}}`;
// raw parameters take any segment).
func (r *route) matches(path string) (shaped, valid bool) {
	if len(path) > 1 {
		path = strings.TrimSuffix(path, "/")
	}
	want := strings.Split(r.path, "/")
	got := strings.Split(path, "/")
	if len(want) != len(got) {
		return false, false
	}
	valid = true
	for i, w := range want {
		switch {
		case strings.HasPrefix(w, ":"):
			if got[i] == "" {
				return false, false
			}
			if raw := r.isRaw(w[1:]); !raw && !ids.Valid(got[i]) || raw && slices.Contains(r.notServed, got[i]) {
				valid = false // a value the route leaves to a route not served: 404 (handler)
			}
		case w != got[i]:
			return false, false
		}
	}
	return true, valid
}

func (r *route) isRaw(param string) bool {
	for _, p := range r.rawParams {
		if p == param {
			return true
		}
	}
	return false
}

// allowed lists the methods of the legacy routes that match path, ids
// included, and tells whether any legacy route has its shape.
func (s *Server) allowed(path string) (methods []string, shaped bool) {
	seen := map[string]bool{}
	for _, r := range s.routes {
		sh, ok := r.matches(path)
		shaped = shaped || sh
		if !ok {
			continue
		}
		for _, m := range r.methods() {
			if !seen[m] {
				seen[m] = true
				methods = append(methods, m)
			}
		}
	}
	return methods, shaped
}

// methodNotAllowed answers a path that another method serves: 405 with
// Allow, except on a legacy path whose ids fail the 32-hex rule, which no
// Spring pattern matched (404).
func (s *Server) methodNotAllowed(c *gin.Context) {
	methods, shaped := s.allowed(c.Request.URL.Path)
	if shaped && len(methods) == 0 {
		c.Writer.Header().Del("Allow") // gin's, from routes whose ids take any segment
		c.AbortWithStatus(http.StatusNotFound)
		return
	}
	if len(methods) > 0 {
		c.Header("Allow", allowHeader(methods))
	} else {
		normalizeAllow(c.Writer.Header()) // a path of the app's own (gin's list)
	}
	c.AbortWithStatus(http.StatusMethodNotAllowed)
}

// methodOrder is the order Allow lists methods in, whichever answer carries
// it (a 405, an OPTIONS request).
var methodOrder = []string{http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete}

// allowHeader is the Allow header (RFC 9110 §10.2.1) of a resource that
// serves methods: HEAD beside GET, since every GET route answers HEAD
// (observe.AsGet), in methodOrder, once each.
func allowHeader(methods []string) string {
	has := make(map[string]bool, len(methods)+1)
	for _, m := range methods {
		has[strings.TrimSpace(m)] = true
	}
	if has[http.MethodGet] {
		has[http.MethodHead] = true
	}
	out := make([]string, 0, len(has))
	for _, m := range methodOrder {
		if has[m] {
			out = append(out, m)
			delete(has, m)
		}
	}
	for _, m := range slices.Sorted(maps.Keys(has)) { // none so far: every route uses a method above
		if m != "" {
			out = append(out, m)
		}
	}
	return strings.Join(out, ", ")
}

// normalizeAllow rewrites the Allow header gin sets on a request whose
// path other methods serve (it lists the methods routes are registered
// with, so GET without HEAD) as allowHeader does.
func normalizeAllow(h http.Header) {
	if a := h.Get("Allow"); a != "" {
		h.Set("Allow", allowHeader(strings.Split(a, ",")))
	}
}
