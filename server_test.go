package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/coder/websocket"

	"chaoqer/ent/entdb/entdbtest"
)

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestSIGTERMUnderLoad builds the binary, loads it with GraphQL requests,
// holds one request in flight (its handler is reading the body: the server
// has sent 100 Continue), opens a GraphQL socket, and sends SIGTERM. The
// listener must stop accepting, the held request must still get its whole
// answer, no answer may be cut off, the socket must close with 1001 and the
// process must exit 0 within 10 s.
func TestSIGTERMUnderLoad(t *testing.T) {
	bin := testBinary(t)
	testAddr := freeAddr(t)
	var logs lockedBuffer
	cmd := exec.Command(bin) //nolint:gosec // G204: the binary testBinary just built
	cmd.Env = append(os.Environ(), "CHAOQER_ADDR="+testAddr, "DATABASE_URL="+entdbtest.URL(t),
		"CHAOQER_UPLOAD_DIR="+t.TempDir(), "CHAOQER_LOG_FORMAT=json", "CHAOQER_METRICS_ADDR=",
		"OTEL_EXPORTER_OTLP_ENDPOINT=", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT=")
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		if t.Failed() {
			t.Logf("server log:\n%s", logs.String())
		}
	})
	base := "http://" + testAddr
	ready := false
	for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline) && !ready; {
		if res, err := http.Get(base + "/readyz"); err == nil {
			res.Body.Close()
			ready = res.StatusCode == http.StatusOK
		}
		if !ready {
			time.Sleep(50 * time.Millisecond)
		}
	}
	if !ready {
		t.Fatal("the binary never became ready")
	}

	// A GraphQL socket, to be closed with 1001.
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	ws, _, err := websocket.Dial(ctx, "ws://"+testAddr+"/graphql", &websocket.DialOptions{Subprotocols: []string{"graphql-transport-ws"}})
	if err != nil {
		t.Fatal(err)
	}
	defer ws.CloseNow()
	_ = ws.Write(ctx, websocket.MessageText, []byte(`{"type":"connection_init","payload":{}}`))
	if _, b, err := ws.Read(ctx); err != nil || !strings.Contains(string(b), "connection_ack") {
		t.Fatalf("ack: %s %v", b, err)
	}

	// The held request: headers sent, the handler waiting for the body.
	body := `{"query":"{ __typename }"}`
	held, err := net.Dial("tcp", testAddr)
	if err != nil {
		t.Fatal(err)
	}
	defer held.Close()
	fmt.Fprintf(held, "POST /graphql HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\nExpect: 100-continue\r\n\r\n", testAddr, len(body))
	heldReader := bufio.NewReader(held)
	if line, err := heldReader.ReadString('\n'); err != nil || !strings.Contains(line, "100 Continue") {
		t.Fatalf("held request: %q %v", line, err)
	}
	if _, err := heldReader.ReadString('\n'); err != nil { // the blank line after 100 Continue
		t.Fatal(err)
	}

	// Load: fresh connections, so that after the listener closes a request
	// is refused rather than sent on a connection the server is closing.
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: 15 * time.Second}
	var answered, unserved atomic.Int64
	var mu sync.Mutex
	var cut []string
	stop := make(chan struct{})
	var load sync.WaitGroup
	for i := 0; i < 4; i++ {
		load.Add(1)
		go func() {
			defer load.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				res, err := client.Post(base+"/graphql", "application/json", strings.NewReader(body))
				if err != nil {
					// No answer began: refused after the listener closed
					// (or reset in its backlog). Slow down instead of spinning.
					unserved.Add(1)
					time.Sleep(5 * time.Millisecond)
					continue
				}
				b, err := io.ReadAll(res.Body)
				res.Body.Close()
				if err != nil || res.StatusCode != http.StatusOK || string(b) != `{"data":{"__typename":"Query"}}` {
					mu.Lock()
					cut = append(cut, fmt.Sprintf("%d %q %v", res.StatusCode, b, err))
					mu.Unlock()
					continue
				}
				answered.Add(1)
			}
		}()
	}
	for answered.Load() < 20 { // under load before the signal
		time.Sleep(5 * time.Millisecond)
	}

	signalled := time.Now()
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	// The listener stops accepting...
	for refused := false; !refused; {
		c, err := net.DialTimeout("tcp", testAddr, time.Second)
		if err == nil {
			c.Close()
			if time.Since(signalled) > 5*time.Second {
				t.Fatal("still accepting 5 s after SIGTERM")
			}
			time.Sleep(5 * time.Millisecond)
			continue
		}
		refused = errors.Is(err, syscall.ECONNREFUSED)
	}
	// ...while the held request still gets its whole answer.
	if _, err := io.WriteString(held, body); err != nil {
		t.Fatalf("finishing the held request: %v", err)
	}
	res, err := http.ReadResponse(heldReader, nil)
	if err != nil {
		t.Fatalf("held request: %v", err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil || res.StatusCode != http.StatusOK || string(b) != `{"data":{"__typename":"Query"}}` {
		t.Errorf("held request: %d %q %v", res.StatusCode, b, err)
	}

	// The socket goes away with 1001.
	for err == nil {
		_, _, err = ws.Read(ctx)
	}
	if websocket.CloseStatus(err) != websocket.StatusGoingAway {
		t.Errorf("GraphQL socket: %v, want close 1001", err)
	}

	select {
	case err := <-exited:
		if err != nil {
			t.Errorf("exit: %v", err)
		}
		if d := time.Since(signalled); d > 10*time.Second {
			t.Errorf("shutdown took %v", d)
		}
	case <-time.After(12 * time.Second):
		t.Fatal("the process did not exit within 12 s of SIGTERM")
	}
	close(stop)
	load.Wait()
	if len(cut) > 0 {
		t.Errorf("%d answers cut off or wrong, e.g. %s", len(cut), cut[0])
	}
	t.Logf("answered %d, refused %d", answered.Load(), unserved.Load())
	for _, want := range []string{`"msg":"shutting down"`, `"msg":"stopped"`} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("log lacks %s", want)
		}
	}
}
