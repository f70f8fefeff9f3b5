package storage

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aliyun/credentials-go/credentials/providers"

	"chaoqer/ent/entdb/entdbtest"
	"chaoqer/graph/errs"
	"chaoqer/graph/kvstore"
)

var jpeg = append([]byte{0xFF, 0xD8, 0xFF, 0xE0}, bytes.Repeat([]byte("x"), 100)...)

// newLocal serves a local store on an httptest server.
func newLocal(t *testing.T, maxSize int64) (*Local, *httptest.Server) {
	t.Helper()
	mux := http.NewServeMux()
	hs := httptest.NewServer(mux)
	t.Cleanup(hs.Close)
	l, err := NewLocal(LocalConfig{Dir: t.TempDir(), BaseURL: hs.URL, Key: []byte("0123456789abcdef0123456789abcdef"), MaxBytes: maxSize})
	if err != nil {
		t.Fatal(err)
	}
	mux.Handle(LocalPathPrefix, l)
	return l, hs
}

func do(t *testing.T, method, u, contentType string, body []byte) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, u, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, b
}

func newUpload(t *testing.T, store Store, now time.Time) *ImageUpload {
	t.Helper()
	imgs := NewImages(store, slog.New(slog.NewTextHandler(io.Discard, nil)))
	imgs.SetClock(func() time.Time { return now })
	dir := "avatar"
	up, err := imgs.NewUpload(context.Background(), "0123456789abcdef0123456789abcdef", &dir)
	if err != nil {
		t.Fatal(err)
	}
	return up
}

func TestLocalRoundTrip(t *testing.T) {
	l, _ := newLocal(t, 0)
	up := newUpload(t, l, time.Now())
	if !strings.HasSuffix(up.ImageURL, "/uploads/image/0123456789abcdef0123456789abcdef/avatar/"+up.ImageID+".jpg") {
		t.Fatalf("image URL %s", up.ImageURL)
	}
	if resp, _ := do(t, "GET", up.ImageURL, "", nil); resp.StatusCode != 404 {
		t.Fatalf("before upload: %d", resp.StatusCode)
	}
	if resp, b := do(t, "PUT", up.UploadAddress, "image/jpeg", jpeg); resp.StatusCode != 200 {
		t.Fatalf("upload: %d %s", resp.StatusCode, b)
	}
	resp, b := do(t, "GET", up.ImageURL, "", nil)
	if resp.StatusCode != 200 || !bytes.Equal(b, jpeg) {
		t.Fatalf("download: %d %d bytes", resp.StatusCode, len(b))
	}
	if ct := resp.Header.Get("Content-Type"); ct != "image/jpeg" || resp.Header.Get("X-Content-Type-Options") != "nosniff" {
		t.Fatalf("served as %q", ct)
	}
	if resp, _ := do(t, "HEAD", up.ImageURL, "", nil); resp.StatusCode != 200 {
		t.Fatalf("HEAD: %d", resp.StatusCode)
	}
}

func TestLocalRefusals(t *testing.T) {
	l, hs := newLocal(t, 1000)
	up := newUpload(t, l, time.Now())
	u, _ := url.Parse(up.UploadAddress)

	tamper := func(f func(q url.Values, u *url.URL)) string {
		c := *u
		q := c.Query()
		f(q, &c)
		c.RawQuery = q.Encode()
		return c.String()
	}
	cases := []struct {
		name, url, contentType string
		body                   []byte
		status                 int
	}{
		{"wrong content type", up.UploadAddress, "image/png", jpeg, 403},
		{"no content type", up.UploadAddress, "", jpeg, 403},
		{"tampered signature", tamper(func(q url.Values, _ *url.URL) { q.Set("signature", strings.Repeat("0", 64)) }), "image/jpeg", jpeg, 403},
		{"extended expiry", tamper(func(q url.Values, _ *url.URL) { q.Set("expires", "99999999999") }), "image/jpeg", jpeg, 403},
		{"other key", tamper(func(_ url.Values, u *url.URL) { u.Path = strings.Replace(u.Path, "avatar", "cover", 1) }), "image/jpeg", jpeg, 403},
		{"no signature", hs.URL + "/uploads/image/x.jpg", "image/jpeg", jpeg, 403},
		{"too large", up.UploadAddress, "image/jpeg", append(jpeg, make([]byte, 1000)...), 413},
		{"not a JPEG", up.UploadAddress, "image/jpeg", []byte("<html><script>alert(1)</script></html>"), 400},
		{"traversal", hs.URL + "/uploads/../../etc/passwd", "image/jpeg", jpeg, 404},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			resp, b := do(t, "PUT", c.url, c.contentType, c.body)
			if resp.StatusCode != c.status {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, c.status, b)
			}
		})
	}
	if resp, _ := do(t, "GET", up.ImageURL, "", nil); resp.StatusCode != 404 {
		t.Fatalf("a refused upload left an object: %d", resp.StatusCode)
	}
	if resp, _ := do(t, "DELETE", up.ImageURL, "", nil); resp.StatusCode != 405 {
		t.Fatalf("DELETE: %d", resp.StatusCode)
	}

	// A URL made 11 minutes ago has expired.
	old := newUpload(t, l, time.Now().Add(-11*time.Minute))
	if resp, b := do(t, "PUT", old.UploadAddress, "image/jpeg", jpeg); resp.StatusCode != 403 || !strings.Contains(string(b), "expired") {
		t.Fatalf("expired URL: %d %s", resp.StatusCode, b)
	}
}

func TestLocalKeysAreSafe(t *testing.T) {
	for key, ok := range map[string]bool{
		"image/u/avatar/i.jpg": true,
		"":                     false,
		"../x":                 false,
		"image/../x":           false,
		"image//x":             false,
		"/image/x":             false,
		"image/.hidden":        false,
		"image/x..jpg":         false,
		`image\x`:              false,
	} {
		if validKey(key) != ok {
			t.Errorf("validKey(%q) = %v", key, !ok)
		}
	}
}

func TestImageDirRules(t *testing.T) {
	l, _ := newLocal(t, 0)
	imgs := NewImages(l, slog.New(slog.NewTextHandler(io.Discard, nil)))
	str := func(s string) *string { return &s }
	for _, c := range []struct {
		dir *string
		msg string
	}{
		{nil, MsgNoImageDir}, {str(""), MsgNoImageDir}, {str("  "), MsgNoImageDir},
		{str("x"), MsgBadImageDir}, {str("Avatar"), MsgBadImageDir}, {str("avatar "), MsgBadImageDir},
	} {
		_, err := imgs.NewUpload(context.Background(), "u", c.dir)
		if e, ok := errs.As(err); !ok || e.Message != c.msg || e.Code != 0 {
			t.Errorf("imageDir %v: %v, want %s", c.dir, err, c.msg)
		}
	}
	for _, d := range []string{"avatar", "cover", "room", "feedback"} {
		up, err := imgs.NewUpload(context.Background(), "u", &d)
		if err != nil || !strings.Contains(up.ImageURL, "/image/u/"+d+"/"+up.ImageID+".jpg") {
			t.Errorf("%s: %v %+v", d, err, up)
		}
	}
}

type failingStore struct{}

func (failingStore) PresignPut(context.Context, string, string, time.Time) (string, error) {
	return "", errors.New("boom")
}
func (failingStore) URL(string) string { return "" }

func TestProviderFailureIsTheLegacyMessage(t *testing.T) {
	imgs := NewImages(failingStore{}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	d := "room"
	_, err := imgs.NewUpload(context.Background(), "u", &d)
	if e, ok := errs.As(err); !ok || e.Message != MsgFailed {
		t.Fatalf("got %v", err)
	}
}

func TestLocalKeyIsSharedThroughTheDatabase(t *testing.T) {
	db := entdbtest.Open(t)
	kv := kvstore.New(db.Client, db.Dialect)
	a, err := LocalKey(context.Background(), kv)
	if err != nil {
		t.Fatal(err)
	}
	b, err := LocalKey(context.Background(), kv) // a second instance
	if err != nil {
		t.Fatal(err)
	}
	if len(a) != 32 || !bytes.Equal(a, b) {
		t.Fatalf("keys differ: %x %x", a, b)
	}
}

func TestOSSPresign(t *testing.T) {
	for _, v1 := range []bool{false, true} {
		o, err := NewOSS(OSSConfig{Bucket: "chaoley", Region: "cn-shenzhen", Host: "https://cdn.chaoqer.com/",
			AccessKeyID: "LTAIexample", AccessKeySecret: "secret", SignatureV1: v1})
		if err != nil {
			t.Fatal(err)
		}
		up := newUpload(t, o, time.Now())
		if !strings.HasPrefix(up.UploadAddress, "https://chaoley.oss-cn-shenzhen.aliyuncs.com/image/0123456789abcdef0123456789abcdef/avatar/"+up.ImageID+".jpg?") {
			t.Fatalf("upload address %s", up.UploadAddress)
		}
		want := "x-oss-signature="
		if v1 {
			want = "Signature="
		}
		if !strings.Contains(up.UploadAddress, want) {
			t.Fatalf("v1=%v: %s", v1, up.UploadAddress)
		}
		if up.ImageURL != "https://cdn.chaoqer.com/image/0123456789abcdef0123456789abcdef/avatar/"+up.ImageID+".jpg" {
			t.Fatalf("image URL %s", up.ImageURL)
		}
	}
	if _, err := NewOSS(OSSConfig{Bucket: "b", Region: "cn-shenzhen"}); err == nil {
		t.Fatal("accepted OSS without credentials")
	}
}

// fakeSTS counts AssumeRole calls.
type fakeSTS struct{ calls int }

func (f *fakeSTS) GetCredentials() (*providers.Credentials, error) {
	f.calls++
	return &providers.Credentials{AccessKeyId: "STS.id", AccessKeySecret: "s", SecurityToken: "tok" + strings.Repeat("!", f.calls)}, nil
}
func (f *fakeSTS) GetProviderName() string { return "fake" }

func TestSTSCredentialsAreCached(t *testing.T) {
	src := &fakeSTS{}
	c := NewSTSCache(src, STSCacheTTL)
	now := time.Unix(1_700_000_000, 0)
	c.SetClock(func() time.Time { return now })
	a, _ := c.GetCredentials(context.Background())
	now = now.Add(28 * time.Minute)
	b, _ := c.GetCredentials(context.Background())
	if src.calls != 1 || a != b || a.SecurityToken != "tok!" {
		t.Fatalf("calls %d: %+v %+v", src.calls, a, b)
	}
	now = now.Add(2 * time.Minute)
	b, _ = c.GetCredentials(context.Background())
	if src.calls != 2 || b.SecurityToken != "tok!!" {
		t.Fatalf("not refreshed after 30 min: %d %+v", src.calls, b)
	}

	// Signing through the cache puts the session token into the URL.
	o := newOSS(OSSConfig{Bucket: "chaoley", Region: "cn-shenzhen", SignatureV1: true}, c)
	up := newUpload(t, o, time.Now())
	if !strings.Contains(up.UploadAddress, "OSSAccessKeyId=STS.id") || !strings.Contains(up.UploadAddress, "security-token=tok") {
		t.Fatalf("upload address %s", up.UploadAddress)
	}
}
