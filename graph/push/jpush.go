package push

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// JPush's public base URLs.
const (
	DefaultJPushAPIURL    = "https://api.jpush.cn"
	DefaultJPushDeviceURL = "https://device.jpush.cn"
)

// JPushNoTarget is JPush's error code for "no device matches the audience"
// (an alias nobody is bound to). It is not a failure: the user simply has no
// device to notify.
const JPushNoTarget = 1011

// Time-to-live of offline notifications (spec §9.2): interactive
// notifications are stale after 10 minutes, the others keep for a day.
const (
	ttlInteractive = 600
	ttlDefault     = 86400
)

// JPushConfig configures the JPush sender.
type JPushConfig struct {
	AppKey       string
	MasterSecret string
	Env          string // alias prefix: users are aliases "{Env}_{uid}"
	APIURL       string // push API base URL; empty = DefaultJPushAPIURL
	DeviceURL    string // device API base URL; empty = DefaultJPushDeviceURL
	// APNsProduction sends iOS notifications through APNs production rather
	// than the sandbox (an explicit flag, spec §12 B12).
	APNsProduction bool
	Timeout        time.Duration // per HTTP attempt; 0 = 10 s
	Attempts       int           // attempts per call on connection or 5xx errors; 0 = 3
	Backoff        time.Duration // first retry delay, doubled each time; 0 = 100 ms
	// Transport carries the calls (nil = http.DefaultTransport); the server
	// passes a traced one.
	Transport http.RoundTripper
}

// JPush is a Sender that talks to JPush's REST API v3 (there is no official
// Go SDK). Calls are retried a bounded number of times with backoff when
// JPush cannot be reached or answers 5xx (spec §12 B13); other errors are
// returned as *JPushError.
type JPush struct {
	cfg    JPushConfig
	auth   string
	client *http.Client
	log    *slog.Logger
}

// JPushError is an error answer from JPush.
type JPushError struct {
	Status  int    // HTTP status
	Code    int    // JPush business code, 0 if the body had none
	Message string // JPush's message
}

// Error describes the answer (it never contains credentials).
func (e *JPushError) Error() string {
	return fmt.Sprintf("jpush: HTTP %d, code %d: %s", e.Status, e.Code, e.Message)
}

// NewJPush checks cfg and builds the sender.
func NewJPush(cfg JPushConfig, log *slog.Logger) (*JPush, error) {
	if cfg.AppKey == "" || cfg.MasterSecret == "" {
		return nil, errors.New("jpush: app key and master secret are required")
	}
	if cfg.Env == "" {
		return nil, errors.New("jpush: environment name (alias prefix) is required")
	}
	var err error
	if cfg.APIURL, err = baseURL(cfg.APIURL, DefaultJPushAPIURL); err != nil {
		return nil, err
	}
	if cfg.DeviceURL, err = baseURL(cfg.DeviceURL, DefaultJPushDeviceURL); err != nil {
		return nil, err
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 10 * time.Second
	}
	if cfg.Attempts <= 0 {
		cfg.Attempts = 3
	}
	if cfg.Backoff <= 0 {
		cfg.Backoff = 100 * time.Millisecond
	}
	if log == nil {
		log = slog.Default()
	}
	req, _ := http.NewRequest(http.MethodGet, "/", nil)
	req.SetBasicAuth(cfg.AppKey, cfg.MasterSecret)
	return &JPush{
		cfg:    cfg,
		auth:   req.Header.Get("Authorization"),
		client: &http.Client{Timeout: cfg.Timeout, Transport: cfg.Transport},
		log:    log,
	}, nil
}

func baseURL(s, def string) (string, error) {
	if s = strings.TrimRight(strings.TrimSpace(s), "/"); s == "" {
		return def, nil
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", fmt.Errorf("jpush: invalid base URL %q", s)
	}
	return s, nil
}

// Alias is the JPush alias of uid.
func (j *JPush) Alias(uid string) string { return j.cfg.Env + "_" + uid }

// The push object of POST /v3/push. Only the fields this app uses.
type (
	jpushPayload struct {
		Platform     []string           `json:"platform"`
		Audience     jpushAudience      `json:"audience"`
		Notification *jpushNotification `json:"notification,omitempty"`
		Message      *jpushMessage      `json:"message,omitempty"`
		Options      jpushOptions       `json:"options"`
	}
	jpushAudience struct {
		Alias []string `json:"alias"`
	}
	jpushNotification struct {
		Alert   *string       `json:"alert,omitempty"`
		Android *jpushAndroid `json:"android,omitempty"`
		IOS     *jpushIOS     `json:"ios,omitempty"`
	}
	jpushAndroid struct {
		Alert   string            `json:"alert"`
		Title   string            `json:"title"`
		Style   int               `json:"style"`
		BigText string            `json:"big_text"`
		Extras  map[string]string `json:"extras"`
	}
	jpushIOS struct {
		Alert            jpushIOSAlert     `json:"alert"`
		Sound            string            `json:"sound"`
		Badge            string            `json:"badge"`
		ContentAvailable bool              `json:"content-available"`
		MutableContent   bool              `json:"mutable-content"`
		Extras           map[string]string `json:"extras"`
	}
	jpushIOSAlert struct {
		Title    string `json:"title"`
		Subtitle string `json:"subtitle"`
		Body     string `json:"body"`
	}
	jpushMessage struct {
		MsgContent string `json:"msg_content"`
	}
	jpushOptions struct {
		TimeToLive     *int `json:"time_to_live,omitempty"`
		APNsProduction bool `json:"apns_production"`
	}
)

func (j *JPush) payload(uid string) jpushPayload {
	return jpushPayload{
		Platform: []string{"android", "ios"},
		Audience: jpushAudience{Alias: []string{j.Alias(uid)}},
		Options:  jpushOptions{APNsProduction: j.cfg.APNsProduction},
	}
}

// Alert pushes a visible notification (spec §9.2). On iOS the title goes in
// the subtitle with an empty title (the app name shows above it); Android
// uses the big-text style so long contents are not cut.
func (j *JPush) Alert(ctx context.Context, uid string, a Alert) error {
	extras := map[string]string{"url": a.URL}
	ttl := ttlDefault
	if a.OriginPushType == OriginInteractive {
		ttl = ttlInteractive
	}
	p := j.payload(uid)
	p.Notification = &jpushNotification{
		Android: &jpushAndroid{Alert: a.Content, Title: a.Title, Style: 1, BigText: a.Content, Extras: extras},
		IOS: &jpushIOS{
			Alert: jpushIOSAlert{Subtitle: a.Title, Body: a.Content},
			Sound: "default", Badge: "+1", ContentAvailable: true, MutableContent: true, Extras: extras,
		},
	}
	p.Options.TimeToLive = &ttl
	return j.do(ctx, http.MethodPost, j.cfg.APIURL+"/v3/push", p)
}

// Attach pushes a pass-through (custom) message {"attachType":n,"attachBody":body}
// plus an empty notification, which JPush shows nowhere (spec §9.2).
func (j *JPush) Attach(ctx context.Context, uid string, attachType int, body map[string]any) error {
	if body == nil {
		body = map[string]any{}
	}
	content, err := json.Marshal(struct {
		AttachType int            `json:"attachType"`
		AttachBody map[string]any `json:"attachBody"`
	}{attachType, body})
	if err != nil {
		return fmt.Errorf("jpush: attach body: %w", err)
	}
	empty := ""
	p := j.payload(uid)
	p.Notification = &jpushNotification{Alert: &empty}
	p.Message = &jpushMessage{MsgContent: string(content)}
	return j.do(ctx, http.MethodPost, j.cfg.APIURL+"/v3/push", p)
}

// Bind makes deviceID (a JPush registration id) the only device of uid: the
// alias is first removed from every device, then set on this one.
func (j *JPush) Bind(ctx context.Context, uid, deviceID string) error {
	if strings.TrimSpace(deviceID) == "" {
		return errors.New("jpush: empty registration id")
	}
	if err := j.Unbind(ctx, uid); err != nil {
		return err
	}
	return j.do(ctx, http.MethodPost, j.cfg.DeviceURL+"/v3/devices/"+url.PathEscape(deviceID),
		map[string]string{"alias": j.Alias(uid)})
}

// Unbind deletes uid's alias from all its devices.
func (j *JPush) Unbind(ctx context.Context, uid string) error {
	return j.do(ctx, http.MethodDelete, j.cfg.DeviceURL+"/v3/aliases/"+url.PathEscape(j.Alias(uid)), nil)
}

// do sends one API call, retrying connection errors and 5xx answers.
func (j *JPush) do(ctx context.Context, method, endpoint string, body any) error {
	var data []byte
	if body != nil {
		var err error
		if data, err = json.Marshal(body); err != nil {
			return fmt.Errorf("jpush: %w", err)
		}
	}
	delay := j.cfg.Backoff
	for attempt := 1; ; attempt++ {
		err := j.once(ctx, method, endpoint, data)
		var je *JPushError
		switch {
		case err == nil:
			return nil
		case errors.As(err, &je) && je.Code == JPushNoTarget:
			j.log.Debug("jpush: alias has no device", "call", method+" "+endpoint)
			return nil
		case errors.As(err, &je) && je.Status < 500, ctx.Err() != nil, attempt >= j.cfg.Attempts:
			return err
		}
		j.log.Debug("jpush: retrying", "call", method+" "+endpoint, "attempt", attempt, "err", err)
		t := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			t.Stop()
			return err
		case <-t.C:
		}
		delay *= 2
	}
}

func (j *JPush) once(ctx context.Context, method, endpoint string, data []byte) error {
	var rd io.Reader
	if data != nil {
		rd = bytes.NewReader(data)
	}
	req, err := http.NewRequestWithContext(ctx, method, endpoint, rd)
	if err != nil {
		return fmt.Errorf("jpush: %w", err)
	}
	req.Header.Set("Authorization", j.auth)
	req.Header.Set("Accept", "application/json")
	if data != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := j.client.Do(req)
	if err != nil {
		return fmt.Errorf("jpush: %w", err)
	}
	defer res.Body.Close()
	answer, _ := io.ReadAll(io.LimitReader(res.Body, 64<<10))
	if res.StatusCode/100 == 2 {
		return nil
	}
	var e struct {
		Error struct {
			Code    int    `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	_ = json.Unmarshal(answer, &e)
	msg := e.Error.Message
	if msg == "" {
		msg = strings.TrimSpace(string(answer))
		if len(msg) > 200 {
			msg = msg[:200]
		}
	}
	return &JPushError{Status: res.StatusCode, Code: e.Error.Code, Message: msg}
}
