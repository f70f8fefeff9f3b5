package rest_test

import (
	"bytes"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"chaoqer/app"
	"chaoqer/rest/resttest"
)

var testJPEG = append([]byte{0xFF, 0xD8, 0xFF, 0xE0, 0, 16, 'J', 'F', 'I', 'F'}, bytes.Repeat([]byte{7}, 200)...)

// startWithUploads starts a server whose local image store writes to a
// temporary directory and takes objects up to maxBytes.
func startWithUploads(t *testing.T, maxBytes int64) *resttest.Server {
	dir := t.TempDir()
	return resttest.Start(t, func(c *app.Config) {
		c.Uploads.Dir = dir
		c.Uploads.MaxBytes = maxBytes
	})
}

// onServer points a URL the server made (with its configured public
// origin) at the test server.
func onServer(srv *resttest.Server, raw string) string {
	u, _ := url.Parse(raw)
	base, _ := url.Parse(srv.URL)
	u.Scheme, u.Host = base.Scheme, base.Host
	return u.String()
}

func plainHTTP(t *testing.T, method, target, contentType string, body []byte) (int, []byte, http.Header) {
	t.Helper()
	req, _ := http.NewRequest(method, target, bytes.NewReader(body))
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b, resp.Header
}

// TestImageUploadOnboarding is the onboarding flow of Appendix B: a new
// account gets credentials, uploads its avatar and initialises its profile
// with the image URL.
func TestImageUploadOnboarding(t *testing.T) {
	srv := startWithUploads(t, 0)
	c := srv.Login() // profile not set up yet: allowed
	res := c.Post("/aliyun/image/upload", resttest.P{"imageDir": "avatar"}).MustOK(t).(map[string]any)
	imageID, _ := res["imageId"].(string)
	if len(imageID) != 32 || len(res) != 3 {
		t.Fatalf("result %v", res)
	}
	imageURL := res["imageURL"].(string)
	if !strings.HasSuffix(imageURL, "/uploads/image/"+c.UID+"/avatar/"+imageID+".jpg") {
		t.Fatalf("imageURL %s", imageURL)
	}
	if code, b, _ := plainHTTP(t, "PUT", onServer(srv, res["uploadAddress"].(string)), "image/jpeg", testJPEG); code != 200 {
		t.Fatalf("upload: %d %s", code, b)
	}
	code, b, h := plainHTTP(t, "GET", onServer(srv, imageURL), "", nil)
	if code != 200 || !bytes.Equal(b, testJPEG) || h.Get("Content-Type") != "image/jpeg" {
		t.Fatalf("download: %d %q %d bytes", code, h.Get("Content-Type"), len(b))
	}
	p := c.Post("/user/profile/init", resttest.P{"nickname": "Ann", "avatar": imageURL}).MustOK(t).(map[string]any)
	if p["avatar"] != imageURL {
		t.Fatalf("profile %v", p)
	}
}

func TestImageUploadRefusals(t *testing.T) {
	srv := startWithUploads(t, 1024)
	c := srv.Onboard("Bob")
	for _, dir := range []string{"cover", "room", "feedback"} {
		res := c.Post("/aliyun/image/upload", resttest.P{"imageDir": dir}).MustOK(t).(map[string]any)
		if !strings.Contains(res["imageURL"].(string), "/image/"+c.UID+"/"+dir+"/") {
			t.Fatalf("%s: %v", dir, res)
		}
	}
	c.Post("/aliyun/image/upload", resttest.P{}).MustFail(t, "imageDir不能为空", 0)
	c.Post("/aliyun/image/upload", resttest.P{"imageDir": ""}).MustFail(t, "imageDir不能为空", 0)
	c.Post("/aliyun/image/upload", resttest.P{"imageDir": "x"}).MustFail(t, "imageDir类型不存在", 0)
	c.Post("/aliyun/image/upload", resttest.P{"imageDir": "AVATAR"}).MustFail(t, "imageDir类型不存在", 0)
	if r := srv.Anonymous().Post("/aliyun/image/upload", resttest.P{"imageDir": "avatar"}); r.HTTP != 401 {
		t.Fatalf("anonymous: %s", r)
	}

	res := c.Post("/aliyun/image/upload", resttest.P{"imageDir": "room"}).MustOK(t).(map[string]any)
	addr := onServer(srv, res["uploadAddress"].(string))
	tampered := strings.Replace(addr, "/room/", "/cover/", 1)
	for name, want := range map[string]struct {
		url, contentType string
		body             []byte
		code             int
	}{
		"wrong content type": {addr, "image/png", testJPEG, 403},
		"tampered key":       {tampered, "image/jpeg", testJPEG, 403},
		"too large":          {addr, "image/jpeg", append(testJPEG, make([]byte, 1024)...), 413},
		"not a JPEG":         {addr, "image/jpeg", []byte("<svg onload=alert(1)>"), 400},
	} {
		if code, b, _ := plainHTTP(t, "PUT", want.url, want.contentType, want.body); code != want.code {
			t.Errorf("%s: %d %s", name, code, b)
		}
	}
	if code, _, _ := plainHTTP(t, "GET", onServer(srv, res["imageURL"].(string)), "", nil); code != 404 {
		t.Fatalf("refused uploads stored something: %d", code)
	}

	// A URL made 10 minutes and a second ago has expired.
	srv.App.Resolver.Images.SetClock(func() time.Time { return time.Now().Add(-10*time.Minute - time.Second) })
	old := c.Post("/aliyun/image/upload", resttest.P{"imageDir": "cover"}).MustOK(t).(map[string]any)
	srv.App.Resolver.Images.SetClock(time.Now)
	if code, b, _ := plainHTTP(t, "PUT", onServer(srv, old["uploadAddress"].(string)), "image/jpeg", testJPEG); code != 403 {
		t.Fatalf("expired URL: %d %s", code, b)
	}
}

func TestImageUploadGraphQL(t *testing.T) {
	srv := startWithUploads(t, 0)
	c := srv.Login()
	r := c.GraphQL(`mutation { createImageUpload(input: {imageDir: "feedback"}) { message upload { imageId uploadAddress imageURL expireTime } } }`, nil)
	data, _ := r.Body["data"].(map[string]any)
	p, _ := data["createImageUpload"].(map[string]any)
	up, _ := p["upload"].(map[string]any)
	if up == nil || !strings.Contains(up["imageURL"].(string), "/feedback/"+up["imageId"].(string)+".jpg") || up["expireTime"] == nil {
		t.Fatalf("%s", r)
	}
	r = c.GraphQL(`mutation { createImageUpload(input: {imageDir: "x"}) { message } }`, nil)
	if errs, _ := r.Body["errors"].([]any); len(errs) != 1 || !strings.Contains(string(r.Raw), "imageDir类型不存在") {
		t.Fatalf("%s", r)
	}
}
