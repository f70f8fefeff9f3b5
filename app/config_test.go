package app

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"chaoqer/app/edge"
	"chaoqer/graph/limits"
)

// TestModes pins what development mode changes: the defaults of
// introspection, CORS and the ts window, nothing else; CHAOQER_ENV stays
// the JPush alias prefix.
func TestModes(t *testing.T) {
	cases := []struct {
		name, env, db string
		dev           bool
		aliasEnv      string
	}{
		{"embedded SQLite default", "", "", true, "prod"},
		{"CHAOQER_ENV=dev", "dev", "postgres://x/y", true, "dev"},
		{"a database URL", "", "sqlite:///tmp/x.db", false, "prod"},
		{"CHAOQER_ENV=prod with the embedded default", "prod", "", false, "prod"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Setenv("CHAOQER_ENV", c.env)
			t.Setenv("DATABASE_URL", c.db)
			cfg, err := ConfigFromEnv()
			if err != nil {
				t.Fatal(err)
			}
			if cfg.Dev != c.dev || cfg.Env != c.aliasEnv {
				t.Fatalf("Dev %v Env %q, want %v %q", cfg.Dev, cfg.Env, c.dev, c.aliasEnv)
			}
			wantSkew := 15 * time.Minute
			if c.dev {
				wantSkew = 0
			}
			if cfg.Introspection != c.dev || cfg.SignMaxSkew != wantSkew || len(cfg.CORSOrigins) != 0 {
				t.Errorf("introspection %v, skew %v, origins %v", cfg.Introspection, cfg.SignMaxSkew, cfg.CORSOrigins)
			}
			if l := cfg.GraphQL; l.MaxCost != limits.DefaultMaxCost || l.MaxDepth != limits.DefaultMaxDepth ||
				l.MaxSelections != limits.DefaultMaxSelections || l.MaxTokens != limits.DefaultMaxTokens {
				t.Errorf("GraphQL limits differ by mode: %+v", l)
			}
			if e := cfg.Edge; e.MaxBodyBytes != 1<<20 || e.PerAddr != edge.Defaults().PerAddr {
				t.Errorf("edge limits differ by mode: %+v", e)
			}
		})
	}
}

func TestLimitsFromEnv(t *testing.T) {
	t.Setenv("CHAOQER_GRAPHQL_MAX_COST", "100")
	t.Setenv("CHAOQER_MAX_BODY_BYTES", "2048")
	t.Setenv("CHAOQER_RATE_PER_UID", "5,10")
	t.Setenv("CHAOQER_TRUSTED_PROXIES", "10.0.0.0/8, 192.0.2.1")
	t.Setenv("CHAOQER_OPERATION_TIMEOUT", "5s")
	cfg, err := ConfigFromEnv()
	if err != nil {
		t.Fatal(err)
	}
	if cfg.GraphQL.MaxCost != 100 || cfg.Edge.MaxBodyBytes != 2048 || cfg.Edge.PerUID != (edge.Rate{PerSecond: 5, Burst: 10}) ||
		len(cfg.Edge.TrustedProxies) != 2 || cfg.Edge.OperationTimeout != 5*time.Second {
		t.Errorf("%+v %+v", cfg.GraphQL, cfg.Edge)
	}
	for name, bad := range map[string]string{"CHAOQER_GRAPHQL_MAX_DEPTH": "-1", "CHAOQER_RATE_PER_ADDR": "fast", "CHAOQER_RATE_EXEMPT": "nowhere",
		"CHAOQER_MAX_BODY_BYTES": fmt.Sprint(edge.MaxBodyCeiling + 1)} {
		t.Run(name, func(t *testing.T) {
			t.Setenv(name, bad)
			if _, err := ConfigFromEnv(); err == nil {
				t.Errorf("%s=%s accepted", name, bad)
			}
		})
	}
}

func TestProfileCacheTTLFromEnv(t *testing.T) {
	for v, want := range map[string]time.Duration{"": 2 * time.Second, "0": 0, "500ms": 500 * time.Millisecond} {
		t.Setenv("CHAOQER_PROFILE_CACHE_TTL", v)
		c, err := ConfigFromEnv()
		if err != nil || c.ProfileCacheTTL != want {
			t.Errorf("CHAOQER_PROFILE_CACHE_TTL=%q: %v, err %v; want %v", v, c.ProfileCacheTTL, err, want)
		}
	}
	for _, bad := range []string{"-1s", "soon"} {
		t.Setenv("CHAOQER_PROFILE_CACHE_TTL", bad)
		if _, err := ConfigFromEnv(); err == nil || !strings.Contains(err.Error(), "CHAOQER_PROFILE_CACHE_TTL") {
			t.Errorf("CHAOQER_PROFILE_CACHE_TTL=%q: err %v, want a refusal naming the variable", bad, err)
		}
	}
}
