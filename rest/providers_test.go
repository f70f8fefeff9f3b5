package rest_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"

	"chaoqer/app"
	"chaoqer/rest/resttest"
)

// providerFakes stand in for Aliyun Dysms and JPush (their request shapes
// are pinned by the unit tests of graph/sms and graph/push; here they show
// the app uses them).
type providerFakes struct {
	mu    sync.Mutex
	codes map[string]string // PhoneNumbers -> code
	jpush []string          // "METHOD /path"
}

func (f *providerFakes) dysms(w http.ResponseWriter, r *http.Request) {
	_ = r.ParseForm()
	var param struct{ Code string }
	_ = json.Unmarshal([]byte(r.Form.Get("TemplateParam")), &param)
	f.mu.Lock()
	f.codes[r.Form.Get("PhoneNumbers")] = param.Code
	f.mu.Unlock()
	_, _ = io.WriteString(w, `{"Code":"OK","Message":"OK","BizId":"1","RequestId":"R"}`)
}

func (f *providerFakes) jpushAPI(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	f.jpush = append(f.jpush, r.Method+" "+r.URL.Path)
	f.mu.Unlock()
	_, _ = io.WriteString(w, `{}`)
}

// eventually waits for a background push or SMS (they are asynchronous).
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !cond(); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("never happened: %s", what)
		}
	}
}

func TestRealProvidersAreUsedWhenConfigured(t *testing.T) {
	f := &providerFakes{codes: map[string]string{}}
	sms := httptest.NewServer(http.HandlerFunc(f.dysms))
	defer sms.Close()
	jp := httptest.NewServer(http.HandlerFunc(f.jpushAPI))
	defer jp.Close()
	srv := resttest.Start(t, func(c *app.Config) {
		c.SMS = app.SMSConfig{AccessKeyID: "id", AccessKeySecret: "secret", SignName: "超圈", TemplateCode: "SMS_1", Endpoint: sms.URL}
		c.Push = app.PushConfig{AppKey: "key", MasterSecret: "master", APIURL: jp.URL, DeviceURL: jp.URL}
	})

	// The code that reaches the SMS provider is the one that logs in.
	const mobile = "13700001234"
	srv.Anonymous().Post("/account/captcha", resttest.P{"countryCode": "86", "mobile": mobile}).MustOK(t)
	var code string
	eventually(t, "SMS sent", func() bool {
		f.mu.Lock()
		defer f.mu.Unlock()
		code = f.codes[mobile]
		return code != ""
	})
	res := srv.Anonymous().Post("/account/login/captcha", resttest.P{"countryCode": "86", "mobile": mobile, "captcha": code}).MustOK(t)
	uid := res.(map[string]any)["uid"].(string)
	c := srv.Anonymous()
	c.UID, c.Token, c.Secret = uid, res.(map[string]any)["accessToken"].(string), res.(map[string]any)["accessSecret"].(string)

	alias := "/v3/aliases/test_" + uid
	c.Post("/push/update/rid-42", nil).MustOK(t)
	c.Post("/account/logout", nil).MustOK(t)
	want := []string{"DELETE " + alias, "POST /v3/devices/rid-42", "DELETE " + alias}
	eventually(t, "JPush bind then unbind", func() bool {
		f.mu.Lock()
		defer f.mu.Unlock()
		return len(f.jpush) >= len(want)
	})
	f.mu.Lock()
	defer f.mu.Unlock()
	// A user's pushes keep their order: the logout's unbind comes last.
	if !slices.Equal(f.jpush, want) {
		t.Errorf("JPush calls %v, want %v", f.jpush, want)
	}
}
