package rest_test

import (
	"testing"

	"chaoqer/rest/resttest"
)

func TestOnboardAndReadProfile(t *testing.T) {
	srv := resttest.Start(t)
	alice := srv.Onboard("Alice")
	res := alice.Get("/user/"+alice.UID+"/profile", nil).MustOK(t).(map[string]any)
	if res["nickname"] != "Alice" {
		t.Fatalf("profile %v", res)
	}
}
