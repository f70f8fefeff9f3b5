// Package edge is the HTTP middleware in front of both APIs (GraphQL and
// the legacy REST routes): the client's address (X-Forwarded-For only from
// trusted proxies), request rate limits per address and per logged-in uid,
// the request body limit and read/write deadlines for plain HTTP requests.
// WebSocket upgrades are rate limited but get neither a body limit nor
// deadlines (their handlers keep their own).
//
// Refusals answer in the caller's dialect: a GraphQL error with
// extensions.code (graph/errs) on /graphql, the legacy envelope
// {"status":0,"message":…,"errorCode":0} elsewhere.
package edge

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"chaoqer/graph/errs"
)

// Config is the edge's configuration; a zero field turns its limit off
// (except MaxBodyBytes, see there).
type Config struct {
	// MaxBodyBytes bounds a request body (CHAOQER_MAX_BODY_BYTES, 1 MiB):
	// the edge is the only place that does, for both APIs. 0, or a value
	// above MaxBodyCeiling, means MaxBodyCeiling: a body is never read
	// unbounded.
	MaxBodyBytes int
	// BodyExempt are path prefixes with their own body limit (the local
	// image store's uploads).
	BodyExempt []string
	// ReadTimeout is how long a plain HTTP request may take to send its
	// body (CHAOQER_READ_TIMEOUT, 30 s); WriteTimeout how long its answer
	// may take to write, from the request's start (CHAOQER_WRITE_TIMEOUT, 60 s).
	ReadTimeout, WriteTimeout time.Duration
	// OperationTimeout is the deadline of a plain HTTP request's work: its
	// context ends then, and a GraphQL operation stops within a field
	// (CHAOQER_OPERATION_TIMEOUT, 30 s).
	OperationTimeout time.Duration
	// PerAddr and PerUID are token buckets per client address and per
	// logged-in uid (CHAOQER_RATE_PER_ADDR, CHAOQER_RATE_PER_UID). Buckets
	// live in each instance: N instances allow N times the rate.
	PerAddr, PerUID Rate
	// TrustedProxies may set X-Forwarded-For (CHAOQER_TRUSTED_PROXIES,
	// CIDRs; default none: the connection's address is the client's).
	TrustedProxies []netip.Prefix
	// Exempt client addresses are never rate limited and their WebSocket
	// connections never counted (CHAOQER_RATE_EXEMPT, default loopback:
	// tests, load scripts, local probes).
	Exempt []netip.Prefix
	// Sockets bounds open WebSocket connections (room socket and GraphQL).
	Sockets Sockets
	// Refused, when set, is told of every refusal by the name of the limit
	// ("address", "uid", "socket_address", "socket_uid"): the metrics hook.
	Refused func(limit string)
	// Answered, when set, is told of every request the edge answers itself
	// (a refusal: 429, 413, 408, 400; a refused WebSocket is upgraded and
	// closed with 1008, so 101), before the answer is written. Such a
	// request never reaches the handler behind the edge: the access-log
	// hook.
	Answered func(r *http.Request, status int)
}

// MaxBodyCeiling is the largest request body the edge ever reads (16 MiB),
// whatever MaxBodyBytes says: the limit when it is 0 (off).
const MaxBodyCeiling = 16 << 20

// Rate is a token bucket: PerSecond requests a second on average, Burst at once.
type Rate struct {
	PerSecond float64
	Burst     int
}

// Off reports whether the rate limit is disabled.
func (r Rate) Off() bool { return r.PerSecond <= 0 || r.Burst <= 0 }

// ParseRate reads "PER_SECOND,BURST" (e.g. "50,200"), or "0" for off.
func ParseRate(s string) (Rate, error) {
	if strings.TrimSpace(s) == "0" {
		return Rate{}, nil
	}
	a, b, ok := strings.Cut(s, ",")
	per, err1 := strconv.ParseFloat(strings.TrimSpace(a), 64)
	burst, err2 := strconv.Atoi(strings.TrimSpace(b))
	if !ok || err1 != nil || err2 != nil || per <= 0 || burst <= 0 || math.IsInf(per, 0) {
		return Rate{}, fmt.Errorf("want PER_SECOND,BURST such as 50,200 (or 0 for off), got %q", s)
	}
	return Rate{PerSecond: per, Burst: burst}, nil
}

// ParsePrefixes reads CIDRs or single addresses.
func ParsePrefixes(items []string) ([]netip.Prefix, error) {
	out := make([]netip.Prefix, 0, len(items))
	for _, s := range items {
		if p, err := netip.ParsePrefix(s); err == nil {
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(s)
		if err != nil {
			return nil, fmt.Errorf("%q is neither a CIDR nor an address", s)
		}
		out = append(out, netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()))
	}
	return out, nil
}

// Defaults are generous enough for any real client (and for a carrier NAT
// sharing one address among many) while stopping floods.
func Defaults() Config {
	return Config{
		MaxBodyBytes:     1 << 20,
		ReadTimeout:      30 * time.Second,
		WriteTimeout:     60 * time.Second,
		OperationTimeout: 30 * time.Second,
		PerAddr:          Rate{PerSecond: 100, Burst: 400},
		PerUID:           Rate{PerSecond: 20, Burst: 100},
		Exempt:           []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128")},
		Sockets:          Sockets{PerAddr: 100, PerUID: 8},
	}
}

// Identify returns the logged-in uid of a request that has an
// Authorization header, or "" (an invalid session: limited by address
// only), and r's context carrying what it learned, which the request
// passes on to the handler so that it need not authenticate again
// (viewer.WithAuthentication). The edge calls it at most once a request,
// and only when a per-uid limit applies.
type Identify func(r *http.Request) (uid string, ctx context.Context)

// Edge is the middleware.
type Edge struct {
	cfg      Config
	identify Identify
	addrs    *buckets
	uids     *buckets
	// open WebSocket connections
	sockAddrs, sockUIDs counts
}

// New returns the middleware; identify may be nil (no per-uid limit).
func New(cfg Config, identify Identify) *Edge {
	if cfg.Refused == nil {
		cfg.Refused = func(string) {}
	}
	if cfg.Answered == nil {
		cfg.Answered = func(*http.Request, int) {}
	}
	return &Edge{cfg: cfg, identify: identify, addrs: newBuckets(cfg.PerAddr), uids: newBuckets(cfg.PerUID)}
}

type addrKey struct{}

// ClientAddr is the client's address as the edge decided it ("" outside
// the edge).
func ClientAddr(ctx context.Context) string {
	s, _ := ctx.Value(addrKey{}).(string)
	return s
}

// Wrap puts the edge in front of next. The request reaching next carries
// the client address in its context (ClientAddr) and in RemoteAddr (port 0).
func (e *Edge) Wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		addr := e.clientAddr(r)
		r = r.WithContext(context.WithValue(r.Context(), addrKey{}, addr.String()))
		r.RemoteAddr = netip.AddrPortFrom(addr, 0).String()
		graphQL := r.URL.Path == "/graphql"
		exempt := e.exempt(addr)
		c := &caller{identify: e.identify, r: r}
		if !exempt && !e.allow(w, c, addr, graphQL) {
			return
		}
		if isUpgrade(r) {
			if exempt {
				next.ServeHTTP(w, r)
			} else {
				e.serveSocket(w, c, addr.String(), next)
			}
			return
		}
		r = c.r
		rc := http.NewResponseController(w)
		now := time.Now()
		if e.cfg.WriteTimeout > 0 {
			_ = rc.SetWriteDeadline(now.Add(e.cfg.WriteTimeout))
		}
		if e.cfg.OperationTimeout > 0 {
			ctx, cancel := context.WithTimeout(r.Context(), e.cfg.OperationTimeout)
			defer cancel()
			r = r.WithContext(ctx)
		}
		if r.Body == nil || r.Body == http.NoBody {
			next.ServeHTTP(w, r)
			return
		}
		// The read deadline covers the body only: once it is read, net/http
		// watches the idle connection, and a deadline there would cancel
		// the request's context.
		if e.cfg.ReadTimeout > 0 {
			_ = rc.SetReadDeadline(now.Add(e.cfg.ReadTimeout))
		}
		if !e.bodyExempt(r.URL.Path) {
			body, ok := e.readBody(w, r, graphQL)
			if !ok {
				return
			}
			// encoding/json would turn invalid UTF-8 into U+FFFD and store
			// it silently: text is checked once, here (text.Storable; NUL
			// arrives escaped and is checked after decoding).
			if isJSON(r) && !utf8.Valid(body) {
				e.cfg.Answered(r, http.StatusBadRequest)
				e.badRequest(w, graphQL, "request body is not valid UTF-8")
				return
			}
			r.Body = io.NopCloser(bytes.NewReader(body))
			_ = rc.SetReadDeadline(time.Time{})
		}
		next.ServeHTTP(w, r)
	})
}

// bodyLimit is the largest body a request may send: MaxBodyBytes, within
// MaxBodyCeiling.
func (e *Edge) bodyLimit() int {
	if e.cfg.MaxBodyBytes <= 0 || e.cfg.MaxBodyBytes > MaxBodyCeiling {
		return MaxBodyCeiling
	}
	return e.cfg.MaxBodyBytes
}

// caller identifies a request's uid at most once, when a limit first needs
// it (a request its address's bucket refuses is never authenticated), and
// keeps the request whose context carries what Identify learned.
type caller struct {
	identify Identify
	r        *http.Request
	uid      string
	done     bool
}

// UID is the request's logged-in uid, or "".
func (c *caller) UID() string {
	if c.done {
		return c.uid
	}
	c.done = true
	if c.identify == nil || c.r.Header.Get("Authorization") == "" {
		return ""
	}
	uid, ctx := c.identify(c.r)
	if ctx != nil {
		c.r = c.r.WithContext(ctx)
	}
	c.uid = uid
	return uid
}

// readBody reads the whole body up to the limit (within the read deadline),
// so handlers never see a partial or oversized body and need no limit of
// their own.
func (e *Edge) readBody(w http.ResponseWriter, r *http.Request, graphQL bool) ([]byte, bool) {
	limit := int64(e.bodyLimit())
	if r.ContentLength > limit {
		e.cfg.Answered(r, http.StatusRequestEntityTooLarge)
		e.tooLarge(w, graphQL)
		return nil, false
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, limit+1))
	if err != nil {
		// A deadline passed or the client went away mid-body.
		w.Header().Set("Connection", "close")
		e.cfg.Answered(r, http.StatusRequestTimeout)
		e.refuse(w, graphQL, http.StatusRequestTimeout, "request body not received in time", errs.ExtBadRequest, "请求超时")
		return nil, false
	}
	if int64(len(body)) > limit {
		w.Header().Set("Connection", "close")
		e.cfg.Answered(r, http.StatusRequestEntityTooLarge)
		e.tooLarge(w, graphQL)
		return nil, false
	}
	return body, true
}

func (e *Edge) tooLarge(w http.ResponseWriter, graphQL bool) {
	limit := e.bodyLimit()
	msg := fmt.Sprintf("request body is over the limit of %d bytes", limit)
	if graphQL {
		writeGraphQLError(w, http.StatusRequestEntityTooLarge, msg,
			map[string]any{"code": errs.ExtPayloadTooLarge, "limit": limit})
		return
	}
	writeLegacyFailure(w, http.StatusRequestEntityTooLarge, "请求内容过大")
}

// badRequest refuses a request whose body cannot be read as text: 400 with a
// GraphQL error on /graphql, an empty 400 on legacy routes (as the legacy
// handler answers unstorable text).
func (e *Edge) badRequest(w http.ResponseWriter, graphQL bool, msg string) {
	if graphQL {
		writeGraphQLError(w, http.StatusBadRequest, msg, map[string]any{"code": errs.ExtBadRequest})
		return
	}
	w.WriteHeader(http.StatusBadRequest)
}

// refuse answers status in the caller's dialect: a GraphQL error with code,
// or the legacy failure envelope with legacyMsg.
func (e *Edge) refuse(w http.ResponseWriter, graphQL bool, status int, msg, code, legacyMsg string) {
	if graphQL {
		writeGraphQLError(w, status, msg, map[string]any{"code": code})
		return
	}
	writeLegacyFailure(w, status, legacyMsg)
}

// isJSON reports whether r declares a JSON body (application/json or a
// +json type, parameters ignored).
func isJSON(r *http.Request) bool {
	ct, _, _ := strings.Cut(r.Header.Get("Content-Type"), ";")
	ct = strings.ToLower(strings.TrimSpace(ct))
	return ct == "application/json" || strings.HasSuffix(ct, "+json")
}

func (e *Edge) bodyExempt(path string) bool {
	for _, p := range e.cfg.BodyExempt {
		if strings.HasPrefix(path, p) {
			return true
		}
	}
	return false
}

func (e *Edge) exempt(a netip.Addr) bool { return inAny(e.cfg.Exempt, a) }

func (e *Edge) trusted(a netip.Addr) bool { return inAny(e.cfg.TrustedProxies, a) }

// inAny reports whether a is in one of prefixes.
func inAny(prefixes []netip.Prefix, a netip.Addr) bool {
	for _, p := range prefixes {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// clientAddr is the connection's address, or, when that is a trusted
// proxy, the right-most X-Forwarded-For entry not itself a trusted proxy.
func (e *Edge) clientAddr(r *http.Request) netip.Addr {
	addr := remoteAddr(r.RemoteAddr)
	if !e.trusted(addr) {
		return addr
	}
	hops := r.Header.Values("X-Forwarded-For")
	for i := len(hops) - 1; i >= 0; i-- {
		parts := strings.Split(hops[i], ",")
		for j := len(parts) - 1; j >= 0; j-- {
			a, err := netip.ParseAddr(strings.TrimSpace(parts[j]))
			if err != nil {
				return addr // a malformed hop: trust nothing before it
			}
			addr = a.Unmap()
			if !e.trusted(addr) {
				return addr
			}
		}
	}
	return addr
}

func remoteAddr(s string) netip.Addr {
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return ap.Addr().Unmap()
	}
	host, _, err := net.SplitHostPort(s)
	if err != nil {
		host = s
	}
	a, _ := netip.ParseAddr(host)
	return a.Unmap()
}

func isUpgrade(r *http.Request) bool {
	return strings.EqualFold(r.Header.Get("Upgrade"), "websocket")
}

// writeGraphQLError answers a GraphQL response with one request error.
func writeGraphQLError(w http.ResponseWriter, status int, message string, ext map[string]any) {
	if _, ok := ext["errorCode"]; !ok {
		ext["errorCode"] = errs.CodeFailure // as the endpoint's own request errors carry
	}
	// The shape the endpoint writes its request errors in (graph's
	// transport): message, then extensions, one line.
	type graphQLError struct {
		Message    string         `json:"message"`
		Extensions map[string]any `json:"extensions"`
	}
	body, _ := json.Marshal(struct {
		Errors []graphQLError `json:"errors"`
	}{[]graphQLError{{message, ext}}})
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(append(body, '\n'))
}

// writeLegacyFailure answers the legacy failure envelope with errorCode 0.
func writeLegacyFailure(w http.ResponseWriter, status int, message string) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(map[string]any{"status": 0, "message": message, "errorCode": errs.CodeFailure})
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	w.WriteHeader(status)
	_, _ = w.Write(bytes.TrimRight(buf.Bytes(), "\n"))
}
