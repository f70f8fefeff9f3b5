package rest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/gin-gonic/gin"

	"chaoqer/ent/entdb"
	"chaoqer/graph/errs"
	"chaoqer/graph/ids"
	"chaoqer/graph/limits"
	"chaoqer/graph/page"
	"chaoqer/graph/text"
	"chaoqer/graph/viewer"
)

// compiledRoute is a route with its operation resolved.
type compiledRoute struct {
	route
	op        *operation
	raw       map[string]bool
	notServed map[string]bool
}

func compileRoute(r route, ops map[string]*operation) (*compiledRoute, error) {
	op, ok := ops[r.op]
	if !ok {
		return nil, fmt.Errorf("no operation %s", r.op)
	}
	cr := &compiledRoute{route: r, op: op, raw: map[string]bool{}, notServed: map[string]bool{}}
	for _, p := range r.rawParams {
		cr.raw[p] = true
	}
	for _, v := range r.notServed {
		cr.notServed[v] = true
	}
	return cr, nil
}

// handler runs the legacy pipeline for one route (spec §1.1): path ids,
// content type, client headers, authentication, the profile gate, sign,
// parameter binding, then the operation. Request text that a database
// cannot store (text.Storable: invalid UTF-8, NUL) in a path parameter,
// a client header, or a parameter key or value answers 400 before anything
// uses it.
func (s *Server) handler(r *compiledRoute) gin.HandlerFunc {
	return func(c *gin.Context) {
		for _, p := range c.Params {
			if (!r.raw[p.Key] && !ids.Valid(p.Value)) || (r.raw[p.Key] && r.notServed[p.Value]) {
				c.AbortWithStatus(http.StatusNotFound)
				return
			}
			if !text.Storable(p.Value) {
				c.AbortWithStatus(http.StatusBadRequest)
				return
			}
		}
		query := r.method == http.MethodGet // GET and HEAD: parameters in the query string
		if !query && !r.unsigned && !isJSON(c.GetHeader("Content-Type")) {
			c.AbortWithStatus(http.StatusUnsupportedMediaType)
			return
		}
		client, ok := viewer.ParseClient(c.GetHeader("Client-Type"), c.GetHeader("Version-Name"), c.GetHeader("Version-Code"))
		if !ok {
			c.AbortWithStatus(http.StatusBadRequest)
			return
		}
		client.IP = c.ClientIP()
		ctx := c.Request.Context()

		var v *viewer.Viewer
		if h := c.GetHeader("Authorization"); h != "" && !r.anonymous {
			var err error
			if v, err = s.cfg.Auth.AuthenticateHeader(ctx, h); err != nil {
				c.AbortWithStatus(statusOf(err))
				return
			}
		}
		if r.op.needsLogin && v == nil {
			c.AbortWithStatus(http.StatusUnauthorized)
			return
		}
		openToIncomplete := r.op.allowIncomplete && gateExempt(c.Request.URL.Path)
		if v != nil && !v.Initialized() && r.op.needsLogin && !openToIncomplete {
			if incompleteProfileQuirk(c.Request.Method, c.Request.URL.Path, client.VersionCode) {
				writeEnvelope(c, success("Success", map[string]any{}))
			} else {
				writeEnvelope(c, failure(errs.ProfileIncomplete))
			}
			return
		}

		params, fromQuery, status := readParams(c, query, r.unsigned)
		if status != 0 {
			c.AbortWithStatus(status)
			return
		}
		if !text.StorableValue(params) {
			// Also keeps the sign's key order total (keys are UTF-8).
			c.AbortWithStatus(http.StatusBadRequest)
			return
		}
		if !r.unsigned {
			sign, hasSign := params["sign"]
			_, hasTS := params["ts"]
			if !hasSign || !hasTS {
				c.AbortWithStatus(http.StatusBadRequest)
				return
			}
			secret := s.cfg.DefaultSecret
			if v != nil {
				secret = v.Secret
			}
			if !VerifySign(params, signText(sign), secret) {
				c.AbortWithStatus(http.StatusUnauthorized)
				return
			}
			if status := s.checkFreshness(ctx, v, signText(params["ts"]), signText(sign)); status != 0 {
				c.AbortWithStatus(status)
				return
			}
		}
		vars, bindErr := s.variables(r, c.Params, params, fromQuery)
		if bindErr != nil {
			var fe *errs.Error
			if errors.As(bindErr, &fe) {
				writeEnvelope(c, failure(fe))
				return
			}
			c.AbortWithStatus(http.StatusBadRequest)
			return
		}
		ctx = page.WithLegacy(s.cfg.Prepare(ctx, v, client))
		resp := s.execute(ctx, r.op, vars)
		s.respond(c, r, resp, vars)
	}
}

// checkFreshness applies the optional ts window and replay check: a ts that
// is not a number is a 400, one outside the window or a signature seen
// before a 401.
func (s *Server) checkFreshness(ctx context.Context, v *viewer.Viewer, ts, sign string) int {
	skew := s.cfg.SignMaxSkew
	if skew <= 0 {
		return 0
	}
	ms, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return http.StatusBadRequest
	}
	if d := time.Since(time.UnixMilli(ms)); d > skew || d < -skew {
		return http.StatusUnauthorized
	}
	caller := "anonymous"
	if v != nil {
		caller = v.UID
	}
	fresh, err := s.cfg.Replays.Acquire(ctx, "replay:"+caller+":"+ts+":"+strings.ToLower(sign), 2*skew)
	if err != nil {
		s.cfg.Log.ErrorContext(ctx, "replay check", "err", err)
		return http.StatusInternalServerError
	}
	if !fresh {
		return http.StatusUnauthorized
	}
	return 0
}

// statusOf maps an authentication failure to its HTTP status.
func statusOf(err error) int {
	if e, ok := errs.As(err); ok && e.Kind == errs.KindUnauthenticated {
		return http.StatusUnauthorized
	}
	if entdb.Canceled(err) { // the session was not read before the deadline
		return http.StatusServiceUnavailable
	}
	return http.StatusInternalServerError
}

// gateExempt tells whether the profile gate's allow-list, which compared
// the raw path (spec §1.3), recognised path: its exact paths carry no
// trailing slash, while the /push/update/ prefix matches either way.
func gateExempt(path string) bool {
	return !strings.HasSuffix(path, "/") || strings.HasPrefix(path, "/push/update/")
}

// incompleteProfileQuirk reproduces the legacy gate's empty success for the
// list pages old app versions open before their profile exists (spec §1.3).
func incompleteProfileQuirk(method, path string, versionCode int) bool {
	if versionCode <= 26 {
		return (method == http.MethodGet && path == "/club") || path == "/event"
	}
	return (method == http.MethodGet && path == "/room") || path == "/club" || path == "/event"
}

// isJSON reports whether a Content-Type names JSON (any parameters allowed).
func isJSON(contentType string) bool {
	mt, _, err := mime.ParseMediaType(contentType)
	return err == nil && mt == "application/json"
}

// readParams collects the request parameters: the query string (always
// for query routes) or else the top-level keys of a JSON body, or else the
// query string and form fields (first value of each).
func readParams(c *gin.Context, query, lenient bool) (params map[string]any, fromQuery bool, status int) {
	req := c.Request
	if query || !isJSON(req.Header.Get("Content-Type")) {
		if err := req.ParseForm(); err != nil {
			return nil, true, http.StatusBadRequest
		}
		params = make(map[string]any, len(req.Form))
		for k, vs := range req.Form {
			if len(vs) > 0 {
				params[k] = vs[0]
			}
		}
		return params, true, 0
	}
	// The edge (app/edge) has read and bounded the body already
	// (CHAOQER_MAX_BODY_BYTES, 413 in the legacy envelope): no second,
	// different limit here.
	body, err := io.ReadAll(req.Body)
	if err != nil {
		return nil, false, http.StatusBadRequest
	}
	if lenient && len(bytes.TrimSpace(body)) == 0 {
		return map[string]any{}, false, 0
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var obj map[string]any
	if err := dec.Decode(&obj); err != nil || obj == nil {
		return nil, false, http.StatusBadRequest
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, false, http.StatusBadRequest // trailing data after the object
	}
	return obj, false, 0
}

// execute runs op in-process.
func (s *Server) execute(ctx context.Context, op *operation, vars map[string]any) *graphql.Response {
	ctx = graphql.StartOperationTrace(ctx)
	rc, gerrs := s.cfg.Executor.CreateOperationContext(ctx, &graphql.RawParams{
		Query: op.query, OperationName: op.name, Variables: vars,
	})
	if gerrs != nil {
		return s.cfg.Executor.DispatchError(graphql.WithOperationContext(ctx, rc), gerrs)
	}
	handler, ctx := s.cfg.Executor.DispatchOperation(ctx, rc)
	if resp := handler(ctx); resp != nil {
		return resp
	}
	// No response (an executor without the limits' operation interceptor,
	// which answers a context that ended first): the same answer.
	return limits.CanceledResponse()
}

// respond writes the legacy answer for an operation's response; vars are
// the operation's bound variables (a list echoes its page parameters).
func (s *Server) respond(c *gin.Context, r *compiledRoute, resp *graphql.Response, vars map[string]any) {
	if len(resp.Errors) > 0 {
		e := resp.Errors[0]
		code, _ := e.Extensions["code"].(string)
		switch code {
		case errs.ExtBusiness:
			errorCode, _ := e.Extensions["errorCode"].(int)
			writeEnvelope(c, envelope{Status: 0, Message: e.Message, ErrorCode: &errorCode})
		case errs.ExtUnauthenticated:
			c.AbortWithStatus(http.StatusUnauthorized)
		case errs.ExtUnavailable:
			c.AbortWithStatus(http.StatusServiceUnavailable)
		case errs.ExtInternal:
			c.AbortWithStatus(http.StatusInternalServerError)
		default:
			s.cfg.Log.DebugContext(c.Request.Context(), "legacy request rejected by GraphQL", "route", r.path, "err", e.Message)
			c.AbortWithStatus(http.StatusBadRequest)
		}
		return
	}
	buf := bodyBuffers.Get().(*[]byte)
	defer func() {
		if cap(*buf) <= 1<<20 {
			bodyBuffers.Put(buf)
		}
	}()
	body, err := legacyBody((*buf)[:0], resp.Data, legacyShape{root: r.op.root, message: r.op.message, result: r.result, list: r.list}, vars)
	if err != nil {
		s.cfg.Log.ErrorContext(c.Request.Context(), "rendering operation result", "route", r.path, "err", err)
		c.AbortWithStatus(http.StatusInternalServerError)
		return
	}
	*buf = body
	writeBody(c, body)
}

// bodyBuffers hold legacy bodies while they are written.
var bodyBuffers = sync.Pool{New: func() any { return new([]byte) }}
