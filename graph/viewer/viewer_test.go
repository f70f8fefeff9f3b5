package viewer

import (
	"context"
	"testing"
)

func TestParseClient(t *testing.T) {
	cases := []struct {
		clientType, versionName, versionCode string
		ok                                   bool
		want                                 Client
	}{
		{"", "", "", true, Client{VersionName: "UNKNOWN"}},
		{" 2 ", " 1.2.3 ", "27", true, Client{Type: ClientAndroid, VersionName: "1.2.3", VersionCode: 27}},
		{"7", "x", "1", true, Client{Type: ClientWeb, VersionName: "x", VersionCode: 1}},
		{"ios", "", "", false, Client{}},
		{"", "", "99999999999999999999", false, Client{}},
		{"", "\xff", "", false, Client{}},   // invalid UTF-8 would fail on PostgreSQL
		{"", "a\x00b", "", false, Client{}}, // so would NUL
	}
	for _, c := range cases {
		got, ok := ParseClient(c.clientType, c.versionName, c.versionCode)
		if ok != c.ok || (ok && got != c.want) {
			t.Errorf("ParseClient(%q, %q, %q) = %+v, %v; want %+v, %v", c.clientType, c.versionName, c.versionCode, got, ok, c.want, c.ok)
		}
	}
}

func TestAuthenticationIsForItsHeader(t *testing.T) {
	ctx := context.Background()
	if _, ok := AuthenticationFrom(ctx, "Basic x"); ok {
		t.Fatal("an empty context carries an outcome")
	}
	v := &Viewer{UID: "u1"}
	ctx = WithAuthentication(ctx, Authentication{Header: "Basic x", Viewer: v})
	if a, ok := AuthenticationFrom(ctx, "Basic x"); !ok || a.Viewer != v || a.Err != nil {
		t.Errorf("same header: %+v %v", a, ok)
	}
	if _, ok := AuthenticationFrom(ctx, "Basic y"); ok {
		t.Error("another header takes the recorded outcome")
	}
}
