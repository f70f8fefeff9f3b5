package rest

import "testing"

func TestIncompleteProfileQuirk(t *testing.T) {
	cases := []struct {
		method, path string
		version      int
		want         bool
	}{
		{"GET", "/club", 26, true},
		{"POST", "/club", 26, false},
		{"GET", "/room", 26, false},
		{"POST", "/event", 26, true},
		{"GET", "/event", 26, true},
		{"GET", "/club", 27, true},
		{"POST", "/club", 27, true},
		{"GET", "/room", 27, true},
		{"POST", "/room", 27, false},
		{"PUT", "/event", 27, true},
		{"GET", "/user/block", 27, false},
		{"GET", "/club/", 27, false},
	}
	for _, c := range cases {
		if got := incompleteProfileQuirk(c.method, c.path, c.version); got != c.want {
			t.Errorf("%s %s v%d: %v, want %v", c.method, c.path, c.version, got, c.want)
		}
	}
}

func TestRoutesCompileAgainstTheSchema(t *testing.T) {
	// New (used by every black-box test) validates each operation; this
	// checks the table itself: unique method+path, known operations.
	seen := map[string]bool{}
	for _, r := range routes {
		k := r.method + " " + r.path
		if seen[k] {
			t.Errorf("duplicate route %s", k)
		}
		seen[k] = true
	}
}

func TestGateExemptComparesTheRawPath(t *testing.T) {
	for path, want := range map[string]bool{
		"/user/profile/init":    true,
		"/user/profile/init/":   false,
		"/push/update/abc":      true,
		"/push/update/abc/":     true,
		"/account/logout":       true,
		"/aliyun/image/upload/": false,
	} {
		if got := gateExempt(path); got != want {
			t.Errorf("gateExempt(%q) = %v, want %v", path, got, want)
		}
	}
}
