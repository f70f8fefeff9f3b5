package resttest

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"chaoqer/app"
	"chaoqer/rest"
)

// Raw is a legacy request spelled byte for byte, for malformed-input tests:
// the query string is sent as given (already encoded), the body as given.
type Raw struct {
	Method, Path string
	// Query is the encoded query string, without "?".
	Query string
	Body  []byte
	// ContentType is sent when not empty.
	ContentType string
	// Headers are set after the client's own (they may override them);
	// an empty value removes the header.
	Headers map[string]string
}

// secret is the secret the client signs with.
func (c *Client) secret() string {
	if c.Secret != "" {
		return c.Secret
	}
	return app.DefaultSecret
}

// SignQuery encodes pairs as a query string (in order, keys may repeat)
// and appends ts and the sign the server computes: over the first value of
// each key, as the server decodes them.
func (c *Client) SignQuery(pairs ...[2]string) string {
	params := map[string]any{}
	var q []string
	for _, p := range pairs {
		if _, seen := params[p[0]]; !seen {
			params[p[0]] = p[1]
		}
		q = append(q, url.QueryEscape(p[0])+"="+url.QueryEscape(p[1]))
	}
	ts := strconv.FormatInt(time.Now().UnixMilli(), 10)
	if _, ok := params["ts"]; !ok {
		params["ts"] = ts
		q = append(q, "ts="+ts)
	}
	q = append(q, "sign="+rest.Sign(params, c.secret()))
	return strings.Join(q, "&")
}

// SignJSON returns body (values as the server decodes them: json.Number
// for numbers) with ts and sign added, as JSON text.
func (c *Client) SignJSON(body map[string]any) []byte {
	p := make(map[string]any, len(body)+2)
	for k, v := range body {
		p[k] = v
	}
	if _, ok := p["ts"]; !ok {
		p["ts"] = json.Number(strconv.FormatInt(time.Now().UnixMilli(), 10))
	}
	p["sign"] = rest.Sign(p, c.secret())
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(p)
	return bytes.TrimRight(b.Bytes(), "\n")
}

// SendRaw sends r with the client's headers and Authorization.
func (c *Client) SendRaw(r Raw) *Response {
	target := c.s.URL + r.Path
	if r.Query != "" {
		target += "?" + r.Query
	}
	req, err := http.NewRequest(r.Method, target, bytes.NewReader(r.Body))
	if err != nil {
		c.s.t.Fatalf("%s %q: %v", r.Method, target, err)
	}
	if r.Body == nil {
		req.Body, req.ContentLength = http.NoBody, 0
	}
	if r.ContentType != "" {
		req.Header.Set("Content-Type", r.ContentType)
	}
	cc := *c
	cc.Headers = make(map[string]string, len(c.Headers)+len(r.Headers))
	for k, v := range c.Headers {
		cc.Headers[k] = v
	}
	for k, v := range r.Headers {
		cc.Headers[k] = v
	}
	return cc.Do(req)
}
