package agora

import (
	"errors"
	"strings"
	"testing"
	"time"
)

const (
	testAppID = "0123456789abcdef0123456789abcdef"
	testCert  = "fedcba9876543210fedcba9876543210"
)

func TestRoomTokenIsV006ForTheApp(t *testing.T) {
	b := New(testAppID, testCert)
	if !Configured(b) {
		t.Fatal("valid credentials reported as unconfigured")
	}
	tok, err := b.RoomToken("6d54737e3dda4ae4abf07acacea3d7a1", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(tok, "006"+testAppID) || len(tok) <= len("006"+testAppID)+20 {
		t.Fatalf("token %q is not a v006 token of the app", tok)
	}
}

func TestMissingOrMalformedCredentialsFail(t *testing.T) {
	for _, c := range []struct{ id, cert string }{
		{"", ""},
		{testAppID, ""},
		{"", testCert},
		{"0123456789abcdef", testCert}, // too short
		{testAppID, "zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz"}, // not hex
	} {
		b := New(c.id, c.cert)
		if Configured(b) {
			t.Errorf("%q/%q reported as configured", c.id, c.cert)
		}
		tok, err := b.RoomToken("6d54737e3dda4ae4abf07acacea3d7a1", time.Now())
		if !errors.Is(err, ErrNotConfigured) || tok != "" {
			t.Errorf("%q/%q: got token %q, err %v", c.id, c.cert, tok, err)
		}
	}
}
