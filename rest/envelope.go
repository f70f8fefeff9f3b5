package rest

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"

	"chaoqer/graph/errs"
)

// envelope is the legacy answer: {"status":1,"message":…,"result":…} or
// {"status":0,"message":…,"errorCode":N} (no result key on failure).
type envelope struct {
	Status    int    `json:"status"`
	Message   string `json:"message"`
	Result    any    `json:"result,omitempty"`
	ErrorCode *int   `json:"errorCode,omitempty"`
}

func success(message string, result any) envelope {
	if result == nil {
		result = map[string]any{}
	}
	return envelope{Status: 1, Message: message, Result: result}
}

func failure(e *errs.Error) envelope {
	code := e.Code
	return envelope{Status: 0, Message: e.Message, ErrorCode: &code}
}

// writeEnvelope answers HTTP 200 with the envelope, without HTML escaping.
func writeEnvelope(c *gin.Context, e envelope) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(e); err != nil {
		c.AbortWithStatus(http.StatusInternalServerError)
		return
	}
	writeBody(c, bytes.TrimRight(buf.Bytes(), "\n"))
}

// writeBody answers HTTP 200 with a legacy JSON body.
func writeBody(c *gin.Context, body []byte) {
	// A declared length keeps GET and HEAD headers the same at any size
	// (net/http would otherwise chunk a large GET).
	c.Header("Content-Length", strconv.Itoa(len(body)))
	c.Data(http.StatusOK, "application/json;charset=UTF-8", body)
}
