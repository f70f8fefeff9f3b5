package app

import (
	"context"
	"strings"
	"testing"

	"chaoqer/graph/storage"
)

func TestImageStoreSelection(t *testing.T) {
	log, logs := testLogger()
	cfg := Config{Addr: ":8080", Env: "dev", Uploads: UploadConfig{Dir: t.TempDir(), Secret: "local-upload-secret-0123"}}
	s, local, err := imageStore(context.Background(), cfg, nil, log)
	if err != nil || local == nil || s != storage.Store(local) {
		t.Fatalf("default: %T %v", s, err)
	}
	if u := local.URL("image/a.jpg"); u != "http://localhost:8080/uploads/image/a.jpg" {
		t.Fatalf("local URL %s", u)
	}
	cfg.PublicURL = "https://api.chaoqer.com"
	if _, local, _ = imageStore(context.Background(), cfg, nil, log); local.URL("k.jpg") != "https://api.chaoqer.com/uploads/k.jpg" {
		t.Fatalf("public URL %s", local.URL("k.jpg"))
	}

	cfg.OSS = OSSConfig{Bucket: "chaoley", Region: "cn-shenzhen", Host: "https://cdn.chaoqer.com",
		AccessKeyID: "LTAIkey", AccessKeySecret: "oss-secret-value", RoleARN: "acs:ram::1:role/upload", SignatureVersion: "v1"}
	s, local, err = imageStore(context.Background(), cfg, nil, log)
	if _, ok := s.(*storage.OSS); !ok || local != nil || err != nil {
		t.Fatalf("OSS configured: %T %v", s, err)
	}
	if u := s.URL("image/a.jpg"); u != "https://cdn.chaoqer.com/image/a.jpg" {
		t.Fatalf("OSS URL %s", u)
	}
	if out := logs.String(); !strings.Contains(out, "image uploads: Aliyun OSS") || strings.Contains(out, "oss-secret-value") ||
		strings.Contains(out, "local-upload-secret") {
		t.Fatalf("log:\n%s", out)
	}
	cfg.OSS.AccessKeySecret = ""
	if _, _, err := imageStore(context.Background(), cfg, nil, log); err == nil {
		t.Fatal("OSS without a secret: want an error")
	}
}

func TestDefaultPublicURL(t *testing.T) {
	for addr, want := range map[string]string{
		":8080":           "http://localhost:8080",
		"0.0.0.0:80":      "http://localhost:80",
		"127.0.0.1:18103": "http://127.0.0.1:18103",
		"[::1]:9000":      "http://[::1]:9000",
		"nonsense":        "http://localhost",
	} {
		if got := defaultPublicURL(addr); got != want {
			t.Errorf("%s: %s, want %s", addr, got, want)
		}
	}
}

func TestUploadConfigFromEnv(t *testing.T) {
	t.Setenv("CHAOQER_ADMIN_UIDS", " a , b ")
	t.Setenv("CHAOQER_UPLOAD_MAX_BYTES", "2048")
	c, err := ConfigFromEnv()
	if err != nil || len(c.AdminUIDs) != 2 || c.Uploads.MaxBytes != 2048 || c.Uploads.Dir != DefaultUploadDir ||
		c.OSS.Region != "cn-shenzhen" || c.OSS.SignatureVersion != "v4" || c.WeChat.APIBase != "https://api.weixin.qq.com" {
		t.Fatalf("%+v %v", c, err)
	}
	for k, v := range map[string]string{"CHAOQER_UPLOAD_MAX_BYTES": "-1", "ALIYUN_OSS_SIGNATURE_VERSION": "v2", "CHAOQER_UPLOAD_SECRET": "short"} {
		t.Run(k, func(t *testing.T) {
			t.Setenv(k, v)
			if _, err := ConfigFromEnv(); err == nil {
				t.Fatalf("%s=%s accepted", k, v)
			}
		})
	}
}
