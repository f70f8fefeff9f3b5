package sms

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	openapi "github.com/alibabacloud-go/darabonba-openapi/v2/client"
	"github.com/alibabacloud-go/tea/dara"
	"github.com/alibabacloud-go/tea/tea"
)

// Aliyun Dysms API coordinates of SendSms.
const (
	aliyunAction  = "SendSms"
	aliyunVersion = "2017-05-25"
	aliyunRegion  = "cn-hangzhou"
	// DefaultAliyunEndpoint is Dysms' public endpoint.
	DefaultAliyunEndpoint = "dysmsapi.aliyuncs.com"
)

// AliyunConfig configures the Aliyun provider.
type AliyunConfig struct {
	AccessKeyID     string
	AccessKeySecret string
	SignName        string // the approved SMS signature, e.g. 超圈
	TemplateCode    string // the approved template; it has one ${code} variable
	// Endpoint is a host name (HTTPS is used) or a full base URL such as
	// http://127.0.0.1:8000 (tests).
	Endpoint string
	Timeout  time.Duration // per request; 0 = 5 s
	// WrapTransport, when set, wraps the transport the Aliyun client builds
	// for each call (tracing).
	WrapTransport func(http.RoundTripper) http.RoundTripper
}

// Aliyun sends login codes through Aliyun Dysms SendSms (API 2017-05-25) with
// Aliyun's generic OpenAPI client, signed with an AccessKey (HMAC-SHA1 RPC
// signature). It does not retry: a timed-out request may have been delivered,
// and a second SMS costs money and confuses the user, who can ask again.
type Aliyun struct {
	client       *openapi.Client
	signName     string
	templateCode string
	log          *slog.Logger
}

// NewAliyun checks cfg and builds the provider.
func NewAliyun(cfg AliyunConfig, log *slog.Logger) (*Aliyun, error) {
	if cfg.AccessKeyID == "" || cfg.AccessKeySecret == "" {
		return nil, errors.New("aliyun sms: access key id and secret are required")
	}
	if cfg.SignName == "" || cfg.TemplateCode == "" {
		return nil, errors.New("aliyun sms: sign name and template code are required")
	}
	if log == nil {
		log = slog.Default()
	}
	protocol, host, err := splitEndpoint(cfg.Endpoint)
	if err != nil {
		return nil, err
	}
	timeout := cfg.Timeout
	if timeout <= 0 {
		timeout = 5 * time.Second
	}
	ms := int(timeout.Milliseconds())
	var hc dara.HttpClient
	if cfg.WrapTransport != nil {
		hc = wrappedClient{wrap: cfg.WrapTransport, timeout: timeout}
	}
	c, err := openapi.NewClient(&openapi.Config{
		HttpClient:      hc,
		AccessKeyId:     dara.String(cfg.AccessKeyID),
		AccessKeySecret: dara.String(cfg.AccessKeySecret),
		Endpoint:        dara.String(host),
		Protocol:        dara.String(protocol),
		RegionId:        dara.String(aliyunRegion),
		ConnectTimeout:  dara.Int(ms),
		ReadTimeout:     dara.Int(ms),
	})
	if err != nil {
		return nil, fmt.Errorf("aliyun sms: %w", err)
	}
	return &Aliyun{client: c, signName: cfg.SignName, templateCode: cfg.TemplateCode, log: log}, nil
}

// wrappedClient runs the Aliyun client's requests through a wrapped
// transport; the client hands over the transport it configured (endpoint
// TLS, timeouts) with each request.
type wrappedClient struct {
	wrap    func(http.RoundTripper) http.RoundTripper
	timeout time.Duration
}

// Call sends request over the wrapped transport.
func (c wrappedClient) Call(request *http.Request, transport *http.Transport) (*http.Response, error) {
	var rt http.RoundTripper = transport
	if transport == nil {
		rt = http.DefaultTransport
	}
	// The SDK builds request for the configured endpoint (ALIYUN_SMS_ENDPOINT
	// or Dysms' public one); no client input chooses the host.
	return (&http.Client{Transport: c.wrap(rt), Timeout: c.timeout}).Do(request) //nolint:gosec // G704: the host is configuration, not input
}

// splitEndpoint accepts "host[:port]" (HTTPS) or "scheme://host[:port]".
func splitEndpoint(endpoint string) (protocol, host string, err error) {
	endpoint = strings.TrimSpace(endpoint)
	if endpoint == "" {
		return "https", DefaultAliyunEndpoint, nil
	}
	if !strings.Contains(endpoint, "://") {
		return "https", strings.TrimSuffix(endpoint, "/"), nil
	}
	u, err := url.Parse(endpoint)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || strings.Trim(u.Path, "/") != "" {
		return "", "", fmt.Errorf("aliyun sms: invalid endpoint %q (want a host or http(s)://host[:port])", endpoint)
	}
	return u.Scheme, u.Host, nil
}

// SendCode sends code to the number. The country code is not sent: Dysms
// domestic templates take bare mainland numbers (spec §3.4).
func (a *Aliyun) SendCode(ctx context.Context, countryCode, mobile, code string) error {
	param, err := json.Marshal(map[string]string{"code": code})
	if err != nil {
		return err
	}
	// The parameters travel in the POST form rather than the query string, so
	// the number and the code never appear in a URL (request logs, errors).
	req := &openapi.OpenApiRequest{Body: map[string]any{
		"PhoneNumbers":  mobile,
		"SignName":      a.signName,
		"TemplateCode":  a.templateCode,
		"TemplateParam": string(param),
	}}
	res, err := a.client.DoRPCRequestWithCtx(ctx, dara.String(aliyunAction), dara.String(aliyunVersion),
		dara.String("HTTPS"), dara.String("POST"), dara.String("AK"), dara.String("json"), req, &dara.RuntimeOptions{})
	if err != nil {
		return fmt.Errorf("aliyun sms: %s", describe(err))
	}
	body, _ := res["body"].(map[string]any)
	answer := func(k string) string { s, _ := body[k].(string); return s }
	if c := answer("Code"); c != "OK" {
		return fmt.Errorf("aliyun sms: %s: %s (request %s)", c, answer("Message"), answer("RequestId"))
	}
	a.log.InfoContext(ctx, "SMS code sent", "to", Mask(countryCode, mobile), "bizId", answer("BizId"), "requestId", answer("RequestId"))
	return nil
}

// describe shortens the client's errors: Aliyun errors keep their code and
// message; transport errors lose the request URL (it carries the signature).
func describe(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Op + ": " + ue.Err.Error()
	}
	var se *tea.SDKError
	if errors.As(err, &se) {
		return tea.StringValue(se.Code) + ": " + tea.StringValue(se.Message)
	}
	return err.Error()
}
