// Package wechat signs WeChat JS-SDK configurations for the H5 share pages
// (spec §5.2). The access token and jsapi_ticket it needs are fetched from
// the WeChat API and cached for 7200 s in the database (kvstore), so every
// server instance uses the same ones and WeChat's daily quota is not spent
// per instance.
package wechat

import (
	"context"
	"crypto/sha1"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sync/singleflight"

	"chaoqer/graph/errs"
	"chaoqer/graph/ids"
	"chaoqer/graph/kvstore"
)

// DefaultAPIBase is WeChat's API origin.
const DefaultAPIBase = "https://api.weixin.qq.com"

// TokenTTL is how long the access token and the ticket are reused.
const TokenTTL = 7200 * time.Second

// Cache keys (shared by instances).
const (
	keyAccessToken = "wechat:access_token"
	keyTicket      = "wechat:jsapi_ticket"
)

// Failures of the config endpoint.
var (
	ErrNotConfigured = errs.Failure("微信公众号未配置")
	ErrFailed        = errs.Failure("获取微信配置失败")
)

// Config holds the official account's credentials.
type Config struct {
	AppID, AppSecret string
	// APIBase is the API origin (default DefaultAPIBase; tests use a fake).
	APIBase string
	// Transport carries the API calls (nil = http.DefaultTransport); the
	// server passes a traced one.
	Transport http.RoundTripper
}

// JSConfig is what wx.config needs. The jsapi_ticket itself is not part of
// it: the browser does not need it (spec §12 S13).
type JSConfig struct {
	AppID     string
	NonceStr  string
	Timestamp string // seconds, as a string
	URL       *string
	Signature string
}

// Client talks to the WeChat API.
type Client struct {
	cfg   Config
	http  *http.Client
	kv    *kvstore.Store
	log   *slog.Logger
	now   func() time.Time
	nonce func() string // the nonceStr of a config (tests fix it)
	group singleflight.Group
}

// New returns a client; with an empty AppID every config is ErrNotConfigured.
func New(cfg Config, kv *kvstore.Store, log *slog.Logger) *Client {
	if cfg.APIBase == "" {
		cfg.APIBase = DefaultAPIBase
	}
	cfg.APIBase = strings.TrimRight(cfg.APIBase, "/")
	return &Client{cfg: cfg, http: &http.Client{Timeout: 5 * time.Second, Transport: cfg.Transport}, kv: kv, log: log, now: time.Now, nonce: ids.New}
}

// SetClock replaces the time source (tests).
func (c *Client) SetClock(now func() time.Time) { c.now = now }

// Configured reports whether credentials are set.
func (c *Client) Configured() bool { return c.cfg.AppID != "" && c.cfg.AppSecret != "" }

// Signature is the JS-SDK signature: lowercase hex SHA-1 of
// "jsapi_ticket=…&noncestr=…&timestamp=…&url=…" (keys in that sorted order,
// values raw).
func Signature(ticket, nonceStr, timestamp, pageURL string) string {
	sum := sha1.Sum([]byte("jsapi_ticket=" + ticket + "&noncestr=" + nonceStr + "&timestamp=" + timestamp + "&url=" + pageURL))
	return hex.EncodeToString(sum[:])
}

// JSConfig signs a configuration for the page at pageURL. The URL's
// fragment (from the first '#') is dropped before signing and in the
// answer: WeChat verifies the signature against the page URL without it
// (JS-SDK documentation, appendix 1), so a share URL such as
// ".../room/x#/share" would otherwise fail with "invalid signature". A
// missing URL is signed as the text "null" (as the original did) and left
// out of the answer.
func (c *Client) JSConfig(ctx context.Context, pageURL *string) (*JSConfig, error) {
	if !c.Configured() {
		return nil, ErrNotConfigured
	}
	if pageURL != nil {
		u, _, _ := strings.Cut(*pageURL, "#")
		pageURL = &u
	}
	ticket, err := c.Ticket(ctx)
	if err != nil {
		c.log.ErrorContext(ctx, "getting the WeChat jsapi_ticket", "err", err)
		return nil, ErrFailed
	}
	cfg := &JSConfig{
		AppID:     c.cfg.AppID,
		NonceStr:  c.nonce(),
		Timestamp: strconv.FormatInt(c.now().Unix(), 10),
		URL:       pageURL,
	}
	signed := "null"
	if pageURL != nil {
		signed = *pageURL
	}
	cfg.Signature = Signature(ticket, cfg.NonceStr, cfg.Timestamp, signed)
	return cfg, nil
}

// Ticket returns the cached jsapi_ticket, fetching one when there is none.
func (c *Client) Ticket(ctx context.Context) (string, error) {
	if t, ok, err := c.kv.Get(ctx, keyTicket); err != nil || ok {
		return t, err
	}
	v, err, _ := c.group.Do(keyTicket, func() (any, error) {
		token, err := c.accessToken(ctx, false)
		if err != nil {
			return "", err
		}
		t, ttl, err := c.fetchTicket(ctx, token)
		var apiErr *apiError
		if errors.As(err, &apiErr) && apiErr.tokenInvalid() {
			// Another party refreshed the token: get a new one, once.
			if token, err = c.accessToken(ctx, true); err != nil {
				return "", err
			}
			t, ttl, err = c.fetchTicket(ctx, token)
		}
		if err != nil {
			return "", err
		}
		return t, c.kv.Set(ctx, keyTicket, t, ttl)
	})
	if err != nil {
		return "", err
	}
	return v.(string), nil
}

// accessToken returns the cached access token unless refresh is set.
func (c *Client) accessToken(ctx context.Context, refresh bool) (string, error) {
	if !refresh {
		if t, ok, err := c.kv.Get(ctx, keyAccessToken); err != nil || ok {
			return t, err
		}
	}
	var r struct {
		apiError
		AccessToken string `json:"access_token"`
		ExpiresIn   int64  `json:"expires_in"`
	}
	q := url.Values{"grant_type": {"client_credential"}, "appid": {c.cfg.AppID}, "secret": {c.cfg.AppSecret}}
	if err := c.get(ctx, "/cgi-bin/token", q, &r); err != nil {
		return "", err
	}
	if r.ErrCode != 0 || r.AccessToken == "" {
		return "", &r.apiError
	}
	return r.AccessToken, c.kv.Set(ctx, keyAccessToken, r.AccessToken, ttl(r.ExpiresIn))
}

func (c *Client) fetchTicket(ctx context.Context, token string) (string, time.Duration, error) {
	var r struct {
		apiError
		Ticket    string `json:"ticket"`
		ExpiresIn int64  `json:"expires_in"`
	}
	if err := c.get(ctx, "/cgi-bin/ticket/getticket", url.Values{"access_token": {token}, "type": {"jsapi"}}, &r); err != nil {
		return "", 0, err
	}
	if r.ErrCode != 0 || r.Ticket == "" {
		return "", 0, &r.apiError
	}
	return r.Ticket, ttl(r.ExpiresIn), nil
}

// ttl is TokenTTL, shortened to what WeChat grants less a minute of margin.
func ttl(expiresIn int64) time.Duration {
	d := TokenTTL
	if expiresIn > 0 && time.Duration(expiresIn)*time.Second < d {
		d = time.Duration(expiresIn) * time.Second
	}
	if d > 2*time.Minute {
		d -= time.Minute
	}
	return d
}

// get calls the API and decodes its JSON answer into out. The query holds
// the secret: URLs are never logged.
func (c *Client) get(ctx context.Context, path string, q url.Values, out any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.cfg.APIBase+path+"?"+q.Encode(), nil)
	if err != nil {
		return err
	}
	resp, err := c.http.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // without the URL, which carries the secret
		}
		return fmt.Errorf("wechat %s: %w", path, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("wechat %s: HTTP %d", path, resp.StatusCode)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return err
	}
	if err := json.Unmarshal(body, out); err != nil {
		return fmt.Errorf("wechat %s: %w", path, err)
	}
	return nil
}

// apiError is WeChat's {"errcode":…,"errmsg":…}.
type apiError struct {
	ErrCode int    `json:"errcode"`
	ErrMsg  string `json:"errmsg"`
}

func (e *apiError) Error() string { return fmt.Sprintf("wechat API error %d: %s", e.ErrCode, e.ErrMsg) }

// tokenInvalid: the access token was refreshed elsewhere or expired.
func (e *apiError) tokenInvalid() bool {
	return e.ErrCode == 40001 || e.ErrCode == 40014 || e.ErrCode == 42001
}
