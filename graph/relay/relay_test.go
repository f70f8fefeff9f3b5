package relay

import (
	"encoding/base64"
	"testing"
)

func TestIDRoundTrip(t *testing.T) {
	for _, typ := range []Type{User, Club, Room, Event, Message} {
		id := ID(typ, "0123456789abcdef0123456789abcdef")
		got, key, ok := Parse(id)
		if !ok || got != typ || key != "0123456789abcdef0123456789abcdef" {
			t.Errorf("Parse(ID(%s)) = %s %q %v", typ, got, key, ok)
		}
	}
	if ID(User, "a") == ID(Club, "a") {
		t.Error("ids of different types collide")
	}
}

func TestParseRefusesForeignIDs(t *testing.T) {
	enc := base64.RawURLEncoding.EncodeToString
	for _, id := range []string{"", "!!", enc([]byte("User")), enc([]byte("User:")), enc([]byte("Account:x")),
		base64.StdEncoding.EncodeToString([]byte("Club:xy"))} {
		if typ, key, ok := Parse(id); ok {
			t.Errorf("Parse(%q) = %s %q, want refused", id, typ, key)
		}
	}
}
