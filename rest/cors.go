package rest

import (
	"net/http"

	"github.com/gin-gonic/gin"
)

const (
	corsMethods = "GET, POST, PUT, DELETE, OPTIONS, HEAD, CONNECT, TRACE, PATCH"
	corsHeaders = "Access-Control-Allow-Headers, Accept, X-Requested-With, Content-Type, Client-Type, " +
		"Authorization, Origin, Access-Control-Request-Method, Access-Control-Request-Headers, " +
		"Version-Name, Version-Code"
)

// CORS answers cross-origin requests as the legacy gateway did (spec §1.10):
// the origins listed in allowed get Access-Control-Allow-Origin and
// -Credentials, and OPTIONS is answered at once with 200. With anyOrigin
// (development mode) and an empty list, every origin is allowed as the
// legacy gateway did, except the opaque "null" origin (sandboxed frames,
// file: pages), which never gets credentials.
func CORS(allowed []string, anyOrigin bool) gin.HandlerFunc {
	allow := make(map[string]bool, len(allowed))
	for _, o := range allowed {
		allow[o] = true
	}
	return func(c *gin.Context) {
		h := c.Writer.Header()
		if origin := c.GetHeader("Origin"); origin != "" && origin != "null" && (allow[origin] || anyOrigin && len(allow) == 0) {
			h.Set("Access-Control-Allow-Origin", origin)
			h.Set("Access-Control-Allow-Credentials", "true")
			h.Add("Vary", "Origin")
		}
		h.Set("Access-Control-Allow-Methods", corsMethods)
		h.Set("Access-Control-Allow-Headers", corsHeaders)
		h.Set("Access-Control-Max-Age", "3600")
		if c.Request.Method == http.MethodOptions {
			// On a path that other methods serve, gin has set Allow
			// (the request takes its 405 path): the same list a 405 gives.
			normalizeAllow(h)
			c.AbortWithStatus(http.StatusOK)
			return
		}
		c.Next()
	}
}
