package app

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"

	"chaoqer/graph/push"
	"chaoqer/graph/sms"
)

func testLogger() (*slog.Logger, *bytes.Buffer) {
	var b bytes.Buffer
	return slog.New(slog.NewTextHandler(&b, nil)), &b
}

// unwrap removes the metrics decorator.
func unwrap(s sms.Sender) sms.Sender {
	if u, ok := s.(interface{ Unwrap() sms.Sender }); ok {
		return u.Unwrap()
	}
	return s
}

func TestProviderSelection(t *testing.T) {
	log, logs := testLogger()
	var cfg Config
	cfg.Env = "dev"
	s, err := smsSender(cfg, log)
	if _, ok := unwrap(s).(sms.Log); !ok || err != nil {
		t.Errorf("no Aliyun key: %T %v, want sms.Log", s, err)
	}
	p, err := pushSender(cfg, log)
	if _, ok := p.(push.Log); !ok || err != nil {
		t.Errorf("no JPush key: %T %v, want push.Log", p, err)
	}

	cfg.SMS = SMSConfig{AccessKeyID: "LTAIkey", AccessKeySecret: "sms-secret-value", SignName: "超圈",
		TemplateCode: "SMS_1", Endpoint: "http://127.0.0.1:9"}
	cfg.Push = PushConfig{AppKey: "appkey", MasterSecret: "push-secret-value",
		APIURL: "http://127.0.0.1:9", DeviceURL: "http://127.0.0.1:9"}
	if s, err := smsSender(cfg, log); err != nil {
		t.Errorf("Aliyun: %v", err)
	} else if _, ok := unwrap(s).(*sms.Aliyun); !ok {
		t.Errorf("Aliyun configured: got %T", s)
	}
	if p, err := pushSender(cfg, log); err != nil {
		t.Errorf("JPush: %v", err)
	} else if _, ok := p.(*push.JPush); !ok {
		t.Errorf("JPush configured: got %T", p)
	}
	out := logs.String()
	for _, want := range []string{"SMS provider: Aliyun", "push provider: JPush"} {
		if !strings.Contains(out, want) {
			t.Errorf("log lacks %q:\n%s", want, out)
		}
	}
	for _, secret := range []string{"sms-secret-value", "push-secret-value"} {
		if strings.Contains(out, secret) {
			t.Errorf("log leaks a secret:\n%s", out)
		}
	}

	// Half a configuration fails at startup instead of silently logging.
	cfg.SMS.TemplateCode = ""
	if _, err := smsSender(cfg, log); err == nil {
		t.Error("Aliyun without a template: want an error")
	}
	cfg.Push.MasterSecret = ""
	if _, err := pushSender(cfg, log); err == nil {
		t.Error("JPush without a master secret: want an error")
	}
}
