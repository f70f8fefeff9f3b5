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
// the request's Origin is allowed (or, when allowed is not empty, only the
// origins listed there), and OPTIONS is answered at once with 200.
func CORS(allowed []string) gin.HandlerFunc {
	allow := make(map[string]bool, len(allowed))
	for _, o := range allowed {
		allow[o] = true
	}
	return func(c *gin.Context) {
		h := c.Writer.Header()
		if origin := c.GetHeader("Origin"); origin != "" && (len(allow) == 0 || allow[origin]) {
			h.Set("Access-Control-Allow-Origin", origin)
			h.Set("Access-Control-Allow-Credentials", "true")
			h.Add("Vary", "Origin")
		}
		h.Set("Access-Control-Allow-Methods", corsMethods)
		h.Set("Access-Control-Allow-Headers", corsHeaders)
		h.Set("Access-Control-Max-Age", "3600")
		if c.Request.Method == http.MethodOptions {
			c.AbortWithStatus(http.StatusOK)
			return
		}
		c.Next()
	}
}
