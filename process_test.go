package main

import (
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
)

// The binary the process tests run, built once per test run.
var built struct {
	once sync.Once
	dir  string
	bin  string
	err  error
	out  []byte
}

// testBinary builds the server once into a directory of its own and
// returns its path (the tests that run it are skipped under -short).
func testBinary(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	built.once.Do(func() {
		// Not t.TempDir: the binary outlives the first test that asks.
		if built.dir, built.err = os.MkdirTemp("", "chaoqer-bin"); built.err != nil {
			return
		}
		built.bin = filepath.Join(built.dir, "chaoqer")
		// go test puts its own toolchain's bin first on PATH (Go 1.19).
		build := exec.Command("go", "build", "-o", built.bin, ".") //nolint:gosec // G204: builds this package into a temporary directory
		built.out, built.err = build.CombinedOutput()
	})
	if built.err != nil {
		t.Fatalf("go build: %v\n%s", built.err, built.out)
	}
	return built.bin
}

// freeAddr is a loopback address with a port nobody listens on.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}
