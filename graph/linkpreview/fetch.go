package linkpreview

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"syscall"
	"time"
	"unicode/utf8"

	"golang.org/x/net/html"
	"golang.org/x/net/html/charset"

	"chaoqer/graph/text"
)

// Fetch limits (defaults of Options).
const (
	DefaultTimeout      = 10 * time.Second
	DefaultMaxBody      = 2 << 20
	DefaultMaxRedirects = 5
	DefaultUserAgent    = "Mozilla/5.0 (compatible; ChaoqerLinkPreview/1.0)"
)

// Lengths kept of what a page says about itself.
const (
	maxTitle       = 300
	maxDescription = 1000
	maxImageURL    = 2048
)

// Errors of a fetch.
var (
	ErrTooLarge = errors.New("link preview: page larger than the limit")
	ErrNotHTML  = errors.New("link preview: not an HTML page")
)

// Preview is what a page says about itself.
type Preview struct {
	Title       string `json:"title"`
	Description string `json:"description"`
	Image       string `json:"image"`
	URL         string `json:"url"`
}

// Options configure a Fetcher; zero values take the defaults.
type Options struct {
	// Timeout bounds a whole fetch, redirects included.
	Timeout time.Duration
	// MaxBody bounds the (decompressed) page; larger pages are refused.
	MaxBody      int64
	MaxRedirects int
	UserAgent    string
	// Allow decides which addresses may be connected to (default
	// PublicOnly). It is consulted for every connection, redirects included,
	// on the address actually dialled.
	Allow func(netip.AddrPort) bool
	// Lookup resolves a host name (default: the system resolver).
	Lookup func(ctx context.Context, host string) ([]netip.Addr, error)
	// WrapTransport, when set, wraps the guarded transport (tracing); the
	// guard sits in its dialer, which stays in force.
	WrapTransport func(http.RoundTripper) http.RoundTripper
}

// Fetcher reads web pages for previews without letting a link reach the
// server's own network: every address is checked after name resolution and
// again by the dialer's Control hook on the socket about to connect, so a
// name that resolves differently the second time (DNS rebinding) or a
// redirect to an internal address is refused too.
type Fetcher struct {
	opts   Options
	client *http.Client
	dialer *net.Dialer
}

// NewFetcher returns a Fetcher.
func NewFetcher(opts Options) *Fetcher {
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultTimeout
	}
	if opts.MaxBody <= 0 {
		opts.MaxBody = DefaultMaxBody
	}
	if opts.MaxRedirects <= 0 {
		opts.MaxRedirects = DefaultMaxRedirects
	}
	if opts.UserAgent == "" {
		opts.UserAgent = DefaultUserAgent
	}
	if opts.Allow == nil {
		opts.Allow = PublicOnly
	}
	if opts.Lookup == nil {
		opts.Lookup = func(ctx context.Context, host string) ([]netip.Addr, error) {
			return net.DefaultResolver.LookupNetIP(ctx, "ip", host)
		}
	}
	f := &Fetcher{opts: opts}
	f.dialer = &net.Dialer{Timeout: 5 * time.Second, Control: f.control}
	transport := &http.Transport{
		Proxy:                 nil, // a proxy would make the checked address the proxy's
		DialContext:           f.dialContext,
		TLSHandshakeTimeout:   5 * time.Second,
		ResponseHeaderTimeout: opts.Timeout,
		MaxIdleConns:          16,
		MaxIdleConnsPerHost:   2,
		IdleConnTimeout:       30 * time.Second,
	}
	var rt http.RoundTripper = transport
	if opts.WrapTransport != nil {
		rt = opts.WrapTransport(transport)
	}
	f.client = &http.Client{
		Transport: rt,
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) >= opts.MaxRedirects {
				return fmt.Errorf("link preview: more than %d redirects", opts.MaxRedirects)
			}
			if req.URL.Scheme != "http" && req.URL.Scheme != "https" {
				return fmt.Errorf("link preview: redirect to a %s URL", req.URL.Scheme)
			}
			return nil
		},
	}
	return f
}

// control runs on every socket just before it connects: the last word on
// which address is reached.
func (f *Fetcher) control(_, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil || !f.opts.Allow(netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())) {
		return &RefusedError{Addr: address}
	}
	return nil
}

// dialContext resolves the host itself, drops addresses the policy refuses
// and dials the rest by IP (the Control hook checks them once more).
func (f *Fetcher) dialContext(ctx context.Context, network, address string) (net.Conn, error) {
	host, portText, err := net.SplitHostPort(address)
	if err != nil {
		return nil, err
	}
	port, err := strconv.ParseUint(portText, 10, 16)
	if err != nil {
		return nil, err
	}
	var addrs []netip.Addr
	if ip, err := netip.ParseAddr(host); err == nil {
		addrs = []netip.Addr{ip}
	} else if addrs, err = f.opts.Lookup(ctx, host); err != nil {
		return nil, err
	}
	lastErr := fmt.Errorf("link preview: %s has no address", host)
	for _, a := range addrs {
		ap := netip.AddrPortFrom(a.Unmap(), uint16(port))
		if !f.opts.Allow(ap) {
			lastErr = &RefusedError{Addr: ap.String()}
			continue
		}
		conn, err := f.dialer.DialContext(ctx, network, ap.String())
		if err == nil {
			return conn, nil
		}
		lastErr = err
	}
	return nil, lastErr
}

// Fetch reads the page at rawURL (http or https) and extracts its preview.
// It refuses internal addresses, non-HTML answers and pages over the size
// limit.
func (f *Fetcher) Fetch(ctx context.Context, rawURL string) (*Preview, error) {
	u, err := url.Parse(rawURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Hostname() == "" {
		return nil, fmt.Errorf("link preview: not an http(s) URL: %q", rawURL)
	}
	ctx, cancel := context.WithTimeout(ctx, f.opts.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("User-Agent", f.opts.UserAgent)
	req.Header.Set("Accept", "text/html,application/xhtml+xml;q=0.9,*/*;q=0.1")
	req.Header.Set("Accept-Language", "zh-CN,zh;q=0.9,en;q=0.8")
	resp, err := f.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return nil, fmt.Errorf("link preview: HTTP %d", resp.StatusCode)
	}
	contentType := resp.Header.Get("Content-Type")
	if mt, _, err := mime.ParseMediaType(contentType); err != nil || (mt != "text/html" && mt != "application/xhtml+xml") {
		return nil, ErrNotHTML
	}
	if resp.ContentLength > f.opts.MaxBody {
		return nil, ErrTooLarge
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, f.opts.MaxBody+1))
	if err != nil {
		return nil, err
	}
	if int64(len(body)) > f.opts.MaxBody {
		return nil, ErrTooLarge
	}
	r, err := charset.NewReader(bytes.NewReader(body), contentType)
	if err != nil {
		r = bytes.NewReader(body)
	}
	p := Parse(r, resp.Request.URL)
	return p, nil
}

// Parse extracts the Open Graph title, description and image of an HTML
// document, falling back to Twitter cards, <title> and the meta
// description. base resolves a relative image URL and is the preview's url.
// It reads only the document's head.
func Parse(r io.Reader, base *url.URL) *Preview {
	meta := map[string]string{}
	var title strings.Builder
	inTitle, sawTitle := false, false
	z := html.NewTokenizer(r)
loop:
	for {
		switch z.Next() {
		case html.ErrorToken:
			break loop
		case html.StartTagToken, html.SelfClosingTagToken:
			name, hasAttr := z.TagName()
			switch string(name) {
			case "body":
				break loop
			case "title":
				inTitle = !sawTitle
				sawTitle = true
			case "meta":
				if !hasAttr {
					continue
				}
				var key, content string
				for {
					k, v, more := z.TagAttr()
					switch strings.ToLower(string(k)) {
					case "property", "name", "itemprop":
						if key == "" {
							key = strings.ToLower(strings.TrimSpace(string(v)))
						}
					case "content":
						content = string(v)
					}
					if !more {
						break
					}
				}
				if key != "" && content != "" {
					if _, seen := meta[key]; !seen {
						meta[key] = content
					}
				}
			}
		case html.TextToken:
			if inTitle {
				title.Write(z.Text())
			}
		case html.EndTagToken:
			name, _ := z.TagName()
			switch string(name) {
			case "title":
				inTitle = false
			case "head":
				break loop
			}
		}
	}
	first := func(keys ...string) string {
		for _, k := range keys {
			if v := clean(meta[k], 1<<20); v != "" {
				return v
			}
		}
		return ""
	}
	p := &Preview{
		Title:       clean(first("og:title", "twitter:title"), maxTitle),
		Description: clean(first("og:description", "description", "twitter:description"), maxDescription),
		URL:         base.String(),
	}
	if p.Title == "" {
		p.Title = clean(title.String(), maxTitle)
	}
	if img := first("og:image", "og:image:url", "og:image:secure_url", "twitter:image", "twitter:image:src"); img != "" {
		if ref, err := url.Parse(img); err == nil {
			abs := base.ResolveReference(ref)
			if (abs.Scheme == "http" || abs.Scheme == "https") && len(abs.String()) <= maxImageURL {
				p.Image = abs.String()
			}
		}
	}
	return p
}

// clean collapses whitespace and keeps at most maxRunes characters of storable
// text (text.Storable: a page's bytes are not ours to trust).
func clean(s string, maxRunes int) string {
	s = strings.Join(strings.Fields(s), " ")
	if !text.Storable(s) {
		s = strings.ReplaceAll(strings.ToValidUTF8(s, ""), "\x00", "")
	}
	if utf8.RuneCountInString(s) > maxRunes {
		r := []rune(s)
		s = strings.TrimSpace(string(r[:maxRunes]))
	}
	return s
}
