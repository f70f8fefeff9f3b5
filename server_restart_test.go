package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"chaoqer/ent/entdb/entdbtest"
	"chaoqer/rest/resttest"
)

// TestRestartEmptiesPresence builds the binary, joins two members to a live
// room over the room WebSocket, kills the server (SIGKILL) and restarts it
// on the same database and address: the room reads as open and empty at
// once (spec §4.1; issue 12.2), not after other instances' stale-row
// timeout. The instance id is the default (hostname:port), which a restart
// keeps. It runs on SQLite, or on PostgreSQL when DATABASE_URL is set; on
// PostgreSQL a second instance holds a third member, who stays.
func TestRestartEmptiesPresence(t *testing.T) {
	bin := testBinary(t)
	dir := t.TempDir()
	addr, addr2 := freeAddr(t), freeAddr(t)
	db := entdbtest.URL(t)
	several := strings.HasPrefix(db, "postgres")
	env := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + dir,
		"DATABASE_URL=" + db,
		"CHAOQER_WHITE_MOBILES=" + strings.Join(resttest.WhiteMobiles[:3], ","),
		"CHAOQER_LOG_LEVEL=warn",
		"AGORA_APP_ID=" + resttest.AgoraAppID, "AGORA_APP_CERTIFICATE=" + resttest.AgoraCertificate,
	}
	start := func(addr string) *exec.Cmd {
		t.Helper()
		cmd := exec.Command(bin)
		cmd.Dir, cmd.Env = dir, append(env, "CHAOQER_ADDR="+addr)
		cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
		deadline := time.Now().Add(60 * time.Second)
		for {
			resp, err := http.Get("http://" + addr + "/app/version/upgrade")
			if err == nil {
				resp.Body.Close()
				if resp.StatusCode == http.StatusOK {
					return cmd
				}
			}
			if time.Now().After(deadline) {
				t.Fatalf("the server did not start on %s: %v", addr, err)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}

	server := start(addr)
	srv := resttest.Remote(t, "http://"+addr)
	alice, bob, carol := srv.Onboard("Alice"), srv.Onboard("Bob"), srv.Onboard("Carol")
	room := alice.Post("/room", resttest.P{"name": "崩溃"}).MustOK(t).(map[string]any)["roomId"].(string)
	for _, c := range []*resttest.Client{alice, bob} {
		joinRoom(t, "ws://"+addr+"/room-ws/"+room, c)
	}
	want, stay := 2, []string{alice.UID}
	if several {
		start(addr2)
		joinRoom(t, "ws://"+addr2+"/room-ws/"+room, carol)
		want, stay = 3, []string{carol.UID}
	}
	members := func() (total json.Number, uids []string) {
		t.Helper()
		r := alice.Get("/room/"+room, nil).MustOK(t).(map[string]any) // a closed room is a failure
		list, _ := r["memberList"].([]any)
		for _, m := range list {
			uids = append(uids, m.(map[string]any)["uid"].(string))
		}
		return r["memberTotal"].(json.Number), uids
	}
	if total, uids := members(); total != json.Number(fmt.Sprint(want)) || len(uids) != want {
		t.Fatalf("before the crash: memberTotal %s, members %v", total, uids)
	}

	if err := server.Process.Kill(); err != nil { // SIGKILL: nothing runs on the way out
		t.Fatal(err)
	}
	_ = server.Wait()
	start(addr)
	// Right away: nobody this instance held is connected. The creator still
	// sees the room (with themselves when it is empty); the other
	// instance's member is untouched.
	if total, uids := members(); total != json.Number(fmt.Sprint(want-2)) || fmt.Sprint(uids) != fmt.Sprint(stay) {
		t.Fatalf("after the restart: memberTotal %s, members %v (want %d and %v)", total, uids, want-2, stay)
	}
}

// joinRoom connects c to the room WebSocket and waits for its join
// ({"event":"connected"}, sent after the presence row is committed). The
// socket stays open until the test ends.
func joinRoom(t *testing.T, url string, c *resttest.Client) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	h := http.Header{"Authorization": {"Basic " + base64.StdEncoding.EncodeToString([]byte(c.UID+":"+c.Token))}}
	conn, _, err := websocket.Dial(ctx, url, &websocket.DialOptions{HTTPHeader: h})
	if err != nil {
		t.Fatalf("dial %s: %v", url, err)
	}
	t.Cleanup(func() { conn.CloseNow() })
	for {
		_, b, err := conn.Read(ctx)
		if err != nil {
			t.Fatalf("%s joining: %v", c.UID, err)
		}
		var m struct{ Event string }
		if json.Unmarshal(b, &m) == nil && m.Event == "connected" {
			return
		}
	}
}
