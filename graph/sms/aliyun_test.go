package sms

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sort"
	"strings"
	"sync"
	"testing"
)

const (
	testKeyID  = "LTAItestkey"
	testSecret = "s3cr3t-value"
)

// fakeDysms is a local stand-in for dysmsapi.aliyuncs.com: it verifies the
// POPv1 signature with its own implementation of Aliyun's documented
// algorithm, records the parameters and answers with reply.
type fakeDysms struct {
	t      *testing.T
	secret string
	reply  func(w http.ResponseWriter, params url.Values)

	mu     sync.Mutex
	calls  []url.Values
	method string
}

func (f *fakeDysms) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil { // merges query and form body
		f.t.Errorf("parse form: %v", err)
	}
	params := r.Form
	f.mu.Lock()
	f.calls = append(f.calls, params)
	f.method = r.Method
	f.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	if got, want := params.Get("Signature"), popSignature(r.Method, params, f.secret); got != want {
		w.WriteHeader(http.StatusBadRequest)
		_ = json.NewEncoder(w).Encode(map[string]string{
			"Code": "SignatureDoesNotMatch", "Message": "Specified signature is not matched with our calculation.", "RequestId": "R-SIG",
		})
		return
	}
	f.reply(w, params)
}

func (f *fakeDysms) last() url.Values {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.calls) == 0 {
		f.t.Fatal("no request reached the fake")
	}
	return f.calls[len(f.calls)-1]
}

// popSignature computes the RPC (POPv1, HMAC-SHA1) signature of params.
func popSignature(method string, params url.Values, secret string) string {
	keys := make([]string, 0, len(params))
	for k := range params {
		if k != "Signature" {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	pairs := make([]string, len(keys))
	for i, k := range keys {
		pairs[i] = popEscape(k) + "=" + popEscape(params.Get(k))
	}
	toSign := method + "&" + popEscape("/") + "&" + popEscape(strings.Join(pairs, "&"))
	mac := hmac.New(sha1.New, []byte(secret+"&"))
	mac.Write([]byte(toSign))
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// popEscape is RFC 3986 percent-encoding as Aliyun specifies it.
func popEscape(s string) string {
	e := url.QueryEscape(s)
	e = strings.ReplaceAll(e, "+", "%20")
	e = strings.ReplaceAll(e, "*", "%2A")
	return strings.ReplaceAll(e, "%7E", "~")
}

func okReply(w http.ResponseWriter, _ url.Values) {
	_ = json.NewEncoder(w).Encode(map[string]string{"Code": "OK", "Message": "OK", "BizId": "900619746936498440^0", "RequestId": "R-OK"})
}

func newFake(t *testing.T, reply func(http.ResponseWriter, url.Values)) (*fakeDysms, *httptest.Server) {
	f := &fakeDysms{t: t, secret: testSecret, reply: reply}
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	return f, srv
}

func newAliyun(t *testing.T, endpoint, secret string, logs *bytes.Buffer) *Aliyun {
	t.Helper()
	a, err := NewAliyun(AliyunConfig{
		AccessKeyID: testKeyID, AccessKeySecret: secret,
		SignName: "超圈", TemplateCode: "SMS_123456789", Endpoint: endpoint,
	}, slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})))
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func TestAliyunSendsSignedSendSms(t *testing.T) {
	f, srv := newFake(t, okReply)
	var logs bytes.Buffer
	a := newAliyun(t, srv.URL, testSecret, &logs)

	if err := a.SendCode(context.Background(), "86", "13812345678", "4821"); err != nil {
		t.Fatalf("SendCode: %v", err)
	}
	p := f.last()
	want := map[string]string{
		"Action":           "SendSms",
		"Version":          "2017-05-25",
		"Format":           "json",
		"AccessKeyId":      testKeyID,
		"SignatureMethod":  "HMAC-SHA1",
		"SignatureVersion": "1.0",
		"PhoneNumbers":     "13812345678", // no country code
		"SignName":         "超圈",
		"TemplateCode":     "SMS_123456789",
	}
	for k, v := range want {
		if got := p.Get(k); got != v {
			t.Errorf("%s = %q, want %q", k, got, v)
		}
	}
	var tp map[string]string
	if err := json.Unmarshal([]byte(p.Get("TemplateParam")), &tp); err != nil || len(tp) != 1 || tp["code"] != "4821" {
		t.Errorf("TemplateParam = %q, want {\"code\":\"4821\"}", p.Get("TemplateParam"))
	}
	for _, k := range []string{"Timestamp", "SignatureNonce", "Signature"} {
		if p.Get(k) == "" {
			t.Errorf("%s missing", k)
		}
	}
	if f.method != http.MethodPost {
		t.Errorf("method %s, want POST", f.method)
	}
	out := logs.String()
	if !strings.Contains(out, "+86 138****5678") {
		t.Errorf("log should name the masked number: %s", out)
	}
	for _, secret := range []string{"4821", testSecret, "13812345678"} {
		if strings.Contains(out, secret) {
			t.Errorf("log leaks %q: %s", secret, out)
		}
	}
}

func TestAliyunWrongSecretIsRejected(t *testing.T) {
	// Pins that the fake really verifies the signature.
	_, srv := newFake(t, okReply)
	a := newAliyun(t, srv.URL, "not-the-secret", &bytes.Buffer{})
	err := a.SendCode(context.Background(), "86", "13812345678", "4821")
	if err == nil || !strings.Contains(err.Error(), "SignatureDoesNotMatch") {
		t.Fatalf("err = %v, want SignatureDoesNotMatch", err)
	}
}

func TestAliyunBusinessErrors(t *testing.T) {
	_, srv := newFake(t, func(w http.ResponseWriter, _ url.Values) {
		_ = json.NewEncoder(w).Encode(map[string]string{
			"Code": "isv.BUSINESS_LIMIT_CONTROL", "Message": "触发分钟级流控Permits:1", "RequestId": "R-LIMIT",
		})
	})
	var logs bytes.Buffer
	a := newAliyun(t, srv.URL, testSecret, &logs)
	err := a.SendCode(context.Background(), "86", "13812345678", "4821")
	if err == nil || !strings.Contains(err.Error(), "isv.BUSINESS_LIMIT_CONTROL") || !strings.Contains(err.Error(), "R-LIMIT") {
		t.Fatalf("err = %v, want the Aliyun code and request id", err)
	}
	if strings.Contains(err.Error(), "4821") || strings.Contains(logs.String(), "4821") {
		t.Errorf("the code leaked: %v / %s", err, logs.String())
	}
}

func TestAliyunHTTPErrorAndUnreachable(t *testing.T) {
	_, srv := newFake(t, func(w http.ResponseWriter, _ url.Values) {
		w.WriteHeader(http.StatusForbidden)
		_ = json.NewEncoder(w).Encode(map[string]string{"Code": "Forbidden.RAM", "Message": "no permission", "RequestId": "R-403"})
	})
	a := newAliyun(t, srv.URL, testSecret, &bytes.Buffer{})
	if err := a.SendCode(context.Background(), "86", "13812345678", "4821"); err == nil || !strings.Contains(err.Error(), "Forbidden.RAM") {
		t.Fatalf("err = %v, want Forbidden.RAM", err)
	}

	dead := httptest.NewServer(http.NotFoundHandler())
	dead.Close()
	a = newAliyun(t, dead.URL, testSecret, &bytes.Buffer{})
	err := a.SendCode(context.Background(), "86", "13812345678", "4821")
	if err == nil {
		t.Fatal("want a connection error")
	}
	if strings.Contains(err.Error(), "Signature") || strings.Contains(err.Error(), testKeyID) {
		t.Errorf("the error carries the signed URL: %v", err)
	}
}

func TestNewAliyunChecksConfig(t *testing.T) {
	ok := AliyunConfig{AccessKeyID: "id", AccessKeySecret: "s", SignName: "超圈", TemplateCode: "SMS_1"}
	for name, mod := range map[string]func(*AliyunConfig){
		"no key id":      func(c *AliyunConfig) { c.AccessKeyID = "" },
		"no secret":      func(c *AliyunConfig) { c.AccessKeySecret = "" },
		"no template":    func(c *AliyunConfig) { c.TemplateCode = "" },
		"no sign name":   func(c *AliyunConfig) { c.SignName = "" },
		"bad scheme":     func(c *AliyunConfig) { c.Endpoint = "ftp://x" },
		"endpoint path":  func(c *AliyunConfig) { c.Endpoint = "http://127.0.0.1:1/api" },
		"endpoint empty": func(c *AliyunConfig) { c.Endpoint = "http://" },
	} {
		c := ok
		mod(&c)
		if _, err := NewAliyun(c, nil); err == nil {
			t.Errorf("%s: want an error", name)
		}
	}
	for endpoint, want := range map[string][2]string{
		"":                      {"https", DefaultAliyunEndpoint},
		"dysmsapi.aliyuncs.com": {"https", "dysmsapi.aliyuncs.com"},
		"http://127.0.0.1:8000": {"http", "127.0.0.1:8000"},
		"https://sms.example/":  {"https", "sms.example"},
	} {
		p, h, err := splitEndpoint(endpoint)
		if err != nil || p != want[0] || h != want[1] {
			t.Errorf("splitEndpoint(%q) = %s %s %v, want %v", endpoint, p, h, err, want)
		}
	}
}
