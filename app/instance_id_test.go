package app

import (
	"os"
	"strings"
	"testing"
)

// The instance id survives restarts: by default hostname:port of the listen
// address, unless the port is not fixed; CHAOQER_INSTANCE_ID overrides it.
func TestInstanceID(t *testing.T) {
	host, err := os.Hostname()
	if err != nil {
		t.Skip("no hostname")
	}
	for addr, want := range map[string]string{
		":8080":          host + ":8080",
		"127.0.0.1:9000": host + ":9000",
		"127.0.0.1:0":    "",
		"nonsense":       "",
	} {
		if got := DefaultInstanceID(addr); got != want {
			t.Errorf("DefaultInstanceID(%q) = %q, want %q", addr, got, want)
		}
	}
	t.Setenv("CHAOQER_ADDR", ":18300")
	t.Setenv("CHAOQER_INSTANCE_ID", "")
	c, err := ConfigFromEnv()
	if err != nil || c.InstanceID != DefaultInstanceID(":18300") {
		t.Fatalf("default: %q %v", c.InstanceID, err)
	}
	t.Setenv("CHAOQER_INSTANCE_ID", "api-1")
	if c, err = ConfigFromEnv(); err != nil || c.InstanceID != "api-1" {
		t.Fatalf("configured: %q %v", c.InstanceID, err)
	}
	for _, bad := range []string{"a|b", strings.Repeat("x", 65)} {
		t.Setenv("CHAOQER_INSTANCE_ID", bad)
		if _, err := ConfigFromEnv(); err == nil || !strings.Contains(err.Error(), "CHAOQER_INSTANCE_ID") {
			t.Errorf("%q: %v", bad, err)
		}
	}
}
