package push

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// recorder is a Sender that records calls.
type recorder struct {
	mu    sync.Mutex
	calls []string
	err   error
}

func (r *recorder) add(s string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls = append(r.calls, s)
	return r.err
}

func (r *recorder) Alert(_ context.Context, uid string, a Alert) error {
	return r.add("alert " + uid + " " + a.Title)
}
func (r *recorder) Attach(_ context.Context, uid string, t int, _ map[string]any) error {
	return r.add("attach " + uid)
}
func (r *recorder) Bind(_ context.Context, uid, d string) error {
	return r.add("bind " + uid + " " + d)
}
func (r *recorder) Unbind(_ context.Context, uid string) error { return r.add("unbind " + uid) }

func TestQueueRunsEveryPushBeforeClose(t *testing.T) {
	rec := &recorder{err: errors.New("provider down")}
	var logs bytes.Buffer
	q := NewQueue(rec, 2, 10, slog.New(slog.NewTextHandler(&logs, nil)))
	q.Alert("u1", Alert{Title: "hi"})
	q.Attach("u1", AttachLogout, nil)
	q.Bind("u1", "rid")
	q.Unbind("u1")
	q.Close()
	if len(rec.calls) != 4 {
		t.Fatalf("calls %v, want 4", rec.calls)
	}
	if n := strings.Count(logs.String(), "push failed"); n != 4 {
		t.Errorf("%d failures logged, want 4:\n%s", n, logs.String())
	}
}

func TestQueueDropsPushesAfterClose(t *testing.T) {
	rec := &recorder{}
	var logs bytes.Buffer
	q := NewQueue(rec, 1, 10, slog.New(slog.NewTextHandler(&logs, nil)))
	q.Close()
	q.Alert("u1", Alert{}) // used to panic: send on closed channel
	q.Unbind("u1")
	q.Close() // a second Close is harmless
	if len(rec.calls) != 0 {
		t.Errorf("calls after close: %v", rec.calls)
	}
	if n := strings.Count(logs.String(), "push queue closed, dropped"); n != 2 {
		t.Errorf("%d drops logged, want 2:\n%s", n, logs.String())
	}
}

func TestQueueCloseWhileEnqueueing(t *testing.T) {
	// Run with -race: enqueues racing Close must neither panic nor race.
	q := NewQueue(&recorder{}, 2, 4, slog.New(slog.NewTextHandler(&bytes.Buffer{}, nil)))
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; j < 200; j++ {
				q.Attach("u", AttachNewNotification, nil)
			}
		}()
	}
	q.Close()
	wg.Wait()
}

// seqSender records, per user, the sequence numbers carried in alert titles.
type seqSender struct {
	recorder
	mu  sync.Mutex
	seq map[string][]int
}

func (s *seqSender) Alert(_ context.Context, uid string, a Alert) error {
	n, _ := strconv.Atoi(a.Title)
	if n%3 == 0 {
		time.Sleep(time.Duration(rand.IntN(200)) * time.Microsecond) //nolint:gosec // G404: test jitter to tempt reordering, not a secret
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.seq[uid] = append(s.seq[uid], n)
	return nil
}

func TestQueueKeepsEachUsersOrder(t *testing.T) {
	s := &seqSender{seq: map[string][]int{}}
	q := NewQueue(s, 4, 10_000, slog.New(slog.NewTextHandler(&bytes.Buffer{}, nil)))
	const users, pushes = 16, 50
	for i := 0; i < pushes; i++ {
		for u := 0; u < users; u++ {
			q.Alert("u"+strconv.Itoa(u), Alert{Title: strconv.Itoa(i)})
		}
	}
	q.Close()
	for u := 0; u < users; u++ {
		got := s.seq["u"+strconv.Itoa(u)]
		if len(got) != pushes || !slices.IsSorted(got) {
			t.Fatalf("user %d saw %v, want 0..%d in order", u, got, pushes-1)
		}
	}
}
