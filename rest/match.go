package rest

import (
	"net/http"
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
			if !ids.Valid(got[i]) && !r.isRaw(w[1:]) {
				valid = false
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
		c.AbortWithStatus(http.StatusNotFound)
		return
	}
	if len(methods) > 0 {
		c.Header("Allow", strings.Join(methods, ", "))
	}
	c.AbortWithStatus(http.StatusMethodNotAllowed)
}
