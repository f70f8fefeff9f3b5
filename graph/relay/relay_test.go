package relay

import (
	"encoding/base64"
	"testing"
)

func TestIDRoundTrip(t *testing.T) {
	for typ, key := range map[Type]string{User: "0123456789abcdef0123456789abcdef", Club: "0123456789abcdef0123456789abcdef",
		Room: "0123456789abcdef0123456789abcdef", Event: "0123456789abcdef0123456789abcdef", Message: "42"} {
		got, k, ok := Parse(ID(typ, key))
		if !ok || got != typ || k != key {
			t.Errorf("Parse(ID(%s)) = %s %q %v", typ, got, k, ok)
		}
	}
	if ID(User, "a") == ID(Club, "a") {
		t.Error("ids of different types collide")
	}
}

func TestParseRefusesForeignIDs(t *testing.T) {
	enc := base64.RawURLEncoding.EncodeToString
	for _, id := range []string{"", "!!", enc([]byte("User")), enc([]byte("User:")), enc([]byte("Account:x")),
		base64.StdEncoding.EncodeToString([]byte("Club:xy")),
		// Keys not of their type's shape never reach a query: NUL and
		// invalid UTF-8 (PostgreSQL refuses them), wrong lengths, upper
		// case, and messages that are not positive decimal numbers.
		enc([]byte("Room:\x00")), enc([]byte("User:\xff")), enc([]byte("Club:a\xc3")),
		enc([]byte("Event:0123456789abcdef0123456789abcde")), enc([]byte("Room:0123456789ABCDEF0123456789ABCDEF")),
		enc([]byte("Message:0")), enc([]byte("Message:-1")), enc([]byte("Message:007")), enc([]byte("Message:1\x00")),
		enc([]byte("Message:99999999999999999999"))} {
		if typ, key, ok := Parse(id); ok {
			t.Errorf("Parse(%q) = %s %q, want refused", id, typ, key)
		}
	}
}
