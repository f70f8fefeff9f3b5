package app

import "testing"

func TestMigrateConfigFromEnv(t *testing.T) {
	for v, skip := range map[string]bool{"": false, "on": false, "off": true, "OFF": true} {
		t.Setenv("CHAOQER_MIGRATE", v)
		c, err := ConfigFromEnv()
		if err != nil || c.SkipMigrations != skip {
			t.Errorf("CHAOQER_MIGRATE=%q: SkipMigrations %v, err %v; want %v", v, c.SkipMigrations, err, skip)
		}
	}
	t.Setenv("CHAOQER_MIGRATE", "later")
	if _, err := ConfigFromEnv(); err == nil {
		t.Error("CHAOQER_MIGRATE=later accepted")
	}
}
