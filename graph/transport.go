package graph

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"chaoqer/graph/errs"
)

// Media types of GraphQL over HTTP responses.
const (
	mediaJSON            = "application/json"
	mediaGraphQLResponse = "application/graphql-response+json"
)

// overHTTP wraps one of gqlgen's HTTP transports (POST, GET) so that a
// request that never ran follows GraphQL over HTTP: its response has no
// data entry (gqlgen writes "data": null), and a parse or validation error
// answered as application/json is 200, not 422. Under
// application/graphql-response+json gqlgen's 400 stays. The response of an
// operation that ran is written by appendResponse: the same bytes as
// gqlgen's json.Marshal, without encoding/json re-scanning the data.
type overHTTP struct{ graphql.Transport }

func (t overHTTP) Do(w http.ResponseWriter, r *http.Request, exec graphql.GraphExecutor) {
	if r.Method == http.MethodGet {
		// gqlgen's GET transport answers undecodable variables or
		// extensions itself, with "data": null and no code.
		q := r.URL.Query()
		for _, name := range []string{"variables", "extensions"} {
			if v := q.Get(name); v != "" && !isJSONObject(v) {
				writeRequestError(w, r, http.StatusBadRequest,
					requestError(name+" could not be decoded: not a JSON object", errs.ExtBadRequest, errs.CodeFailure))
				return
			}
		}
	}
	if r.Method == http.MethodPost {
		switch object, whole := bodyIsObject(r); {
		case !object:
			writeRequestError(w, r, http.StatusBadRequest,
				requestError("the request body must be a JSON object: {\"query\": …}", errs.ExtBadRequest, errs.CodeFailure))
			return
		case !whole:
			writeRequestError(w, r, http.StatusBadRequest, requestError(undecodable, errs.ExtBadRequest, errs.CodeFailure))
			return
		}
	}
	rw := &notRunWriter{ResponseWriter: w, r: r}
	t.Transport.Do(rw, r, notRunExecutor{GraphExecutor: exec, w: rw})
}

// bodyIsObject reports whether a POST body is a JSON object (its first
// non-space byte is '{'), and whether that object is the whole body (valid
// JSON with nothing after it: gqlgen's decoder reads the first value and
// would ignore the rest), leaving the body to be read again. The edge has
// already read the body into memory (and bounded it); batches ([…]), null
// and scalars are refused here with one clear message instead of a decoder
// error naming Go types.
func bodyIsObject(r *http.Request) (object, whole bool) {
	if r.Body == nil || r.Body == http.NoBody {
		return false, false
	}
	body, err := io.ReadAll(r.Body)
	r.Body = io.NopCloser(bytes.NewReader(body))
	if err != nil {
		return false, false
	}
	trimmed := bytes.TrimLeft(body, " \t\r\n")
	if len(trimmed) == 0 || trimmed[0] != '{' {
		return false, false
	}
	return true, json.Valid(trimmed)
}

// unsupportedMedia answers a POST that no other transport took, i.e. whose
// Content-Type is not application/json: 415 with a GraphQL error, where
// gqlgen would answer 400 "transport not supported" with "data": null.
type unsupportedMedia struct{}

func (unsupportedMedia) Supports(r *http.Request) bool {
	return r.Method == http.MethodPost && r.Header.Get("Upgrade") == ""
}

func (unsupportedMedia) Do(w http.ResponseWriter, r *http.Request, _ graphql.GraphExecutor) {
	mt := mediaTypeOf(r.Header.Get("Content-Type"))
	if mt == "" {
		mt = "none"
	}
	w.Header().Set("Accept-Post", mediaJSON)
	writeRequestError(w, r, http.StatusUnsupportedMediaType,
		requestError("unsupported Content-Type "+mt+": send application/json", errs.ExtUnsupportedMediaType, errs.CodeFailure))
}

// undecodable answers a body that is a JSON object but not a GraphQL
// request (GraphQL over HTTP, "Request Parameters").
const undecodable = "the request body is not a GraphQL request: query and operationName are strings, variables and extensions objects"

// notRunExecutor notes the response of a request that did not run: the
// transports answer every such request through DispatchError.
type notRunExecutor struct {
	graphql.GraphExecutor
	w *notRunWriter
	// streams: the transport writes an operation's responses itself
	// (multipart/mixed), so only a request that did not run is rewritten.
	streams bool
}

func (e notRunExecutor) DispatchError(ctx context.Context, list gqlerror.List) *graphql.Response {
	for i, err := range list {
		// gqlgen's message names Go types and quotes the whole body back.
		if strings.HasPrefix(err.Message, "json request body could not be decoded") {
			list[i] = requestError(undecodable, errs.ExtBadRequest, errs.CodeFailure)
		}
	}
	resp := e.GraphExecutor.DispatchError(ctx, list)
	e.w.notRun = resp
	return resp
}

// DispatchOperation hands the operation's response to the writer and gives
// the transport an empty one to marshal in its place.
func (e notRunExecutor) DispatchOperation(ctx context.Context, rc *graphql.OperationContext) (graphql.ResponseHandler, context.Context) {
	next, ctx := e.GraphExecutor.DispatchOperation(ctx, rc)
	if e.streams {
		return next, ctx
	}
	return func(ctx context.Context) *graphql.Response {
		resp := next(ctx)
		if resp == nil {
			return nil
		}
		e.w.ran = resp
		return &graphql.Response{}
	}, ctx
}

// notRunWriter rewrites the status and body of a request that did not run,
// and writes the response of one that ran.
type notRunWriter struct {
	http.ResponseWriter
	r      *http.Request
	notRun *graphql.Response
	ran    *graphql.Response
}

// Flush lets a streaming transport (multipart/mixed) flush through.
func (w *notRunWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

func (w *notRunWriter) WriteHeader(code int) {
	switch {
	case code == http.StatusUnprocessableEntity && mediaTypeOf(w.Header().Get("Content-Type")) == mediaJSON:
		code = http.StatusOK
	case code == http.StatusNotAcceptable && w.r.Method == http.MethodGet:
		// gqlgen's GET transport refused a mutation: 405 with Allow and a
		// coded error in place of its uncoded one.
		w.notRun = &graphql.Response{Errors: gqlerror.List{requestError(
			"GET runs queries only: send mutations and subscriptions with POST", errs.ExtMethodNotAllowed, errs.CodeFailure)}}
		w.Header().Set("Allow", "GET, HEAD, POST") // as every answer about /graphql lists them (rest.allowHeader)
		code = http.StatusMethodNotAllowed
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *notRunWriter) Write(b []byte) (int, error) {
	if w.ran != nil {
		resp := w.ran
		w.ran = nil
		buf := responseBuffers.Get().(*[]byte)
		defer func() {
			if cap(*buf) <= 1<<20 {
				responseBuffers.Put(buf)
			}
		}()
		body, err := appendResponse((*buf)[:0], resp)
		if err != nil {
			return 0, err
		}
		*buf = body
		// The whole body is here: sent with its length rather than in
		// chunks (one chunk, and the last-chunk write, fewer). No effect
		// once the status line has gone out.
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		if _, err := w.ResponseWriter.Write(body); err != nil {
			return 0, err
		}
		return len(b), nil
	}
	if w.notRun == nil {
		return w.ResponseWriter.Write(b)
	}
	body, err := json.Marshal(errorsOnly{Errors: w.notRun.Errors, Extensions: w.notRun.Extensions})
	if err != nil {
		return 0, err
	}
	w.notRun = nil
	if _, err := w.ResponseWriter.Write(body); err != nil {
		return 0, err
	}
	return len(b), nil
}

// errorsOnly is the response of a request that never ran: no data entry.
type errorsOnly struct {
	Errors     gqlerror.List  `json:"errors"`
	Extensions map[string]any `json:"extensions,omitempty"`
}

// isJSONObject reports whether s is one JSON object (or null).
func isJSONObject(s string) bool {
	var m map[string]any
	return json.Unmarshal([]byte(s), &m) == nil
}

func mediaTypeOf(contentType string) string {
	mt, _, _ := mime.ParseMediaType(contentType)
	return mt
}

// responseMediaType is the media type a GraphQL response is sent as: the
// first of application/json and application/graphql-response+json the
// Accept header names, else application/json.
func responseMediaType(accept string) string {
	for part := range strings.SplitSeq(accept, ",") {
		switch mt := mediaTypeOf(strings.TrimSpace(part)); mt {
		case mediaJSON, mediaGraphQLResponse:
			return mt
		}
	}
	return mediaJSON
}

// writeRequestError answers an HTTP request that cannot run at all (bad
// credentials, malformed client headers) in the GraphQL response shape, with
// the same extensions as the error presenter gives: e.g. a 401 with
// {"errors":[{"message":…,"extensions":{"code":"UNAUTHENTICATED",…}}]}.
func writeRequestError(w http.ResponseWriter, r *http.Request, status int, e *gqlerror.Error) {
	w.Header().Set("Content-Type", responseMediaType(r.Header.Get("Accept"))+"; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(errorsOnly{Errors: gqlerror.List{e}})
}

// requestError is a GraphQL error of a request that did not run.
func requestError(message, code string, errorCode int) *gqlerror.Error {
	return &gqlerror.Error{Message: message, Extensions: map[string]any{"code": code, "errorCode": errorCode}}
}
