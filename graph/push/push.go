// Package push delivers notifications to devices. Sender is the provider
// interface (a JPush REST client in production, Log in development); Queue
// runs a Sender in the background so that no request waits for a push.
package push

import (
	"context"
	"hash/fnv"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"
)

// Origin push types (who a notification is from).
const (
	OriginSystem      = 0
	OriginOfficial    = 1
	OriginInteractive = 2
)

// Attach types of pass-through messages.
const (
	AttachDialog          = 1
	AttachLogout          = 2
	AttachNewNotification = 3
)

// Alert is a visible notification.
type Alert struct {
	OriginPushType int
	Title          string
	Content        string
	URL            string
}

// Sender talks to the push provider. Users are addressed by uid; the provider
// maps them to devices (JPush aliases "{env}_{uid}").
type Sender interface {
	// Alert shows a notification on the user's devices.
	Alert(ctx context.Context, uid string, a Alert) error
	// Attach sends a silent pass-through message {"attachType":n,"attachBody":body}.
	Attach(ctx context.Context, uid string, attachType int, body map[string]any) error
	// Bind makes deviceID the only device receiving uid's pushes.
	Bind(ctx context.Context, uid, deviceID string) error
	// Unbind stops all pushes to uid's devices.
	Unbind(ctx context.Context, uid string) error
}

// Log is the development sender: it only logs what it would send.
type Log struct {
	Logger *slog.Logger
}

func (l Log) logger() *slog.Logger {
	if l.Logger != nil {
		return l.Logger
	}
	return slog.Default()
}

// Alert logs the alert.
func (l Log) Alert(_ context.Context, uid string, a Alert) error {
	l.logger().Debug("push (log sender): alert", "uid", uid, "title", a.Title, "url", a.URL)
	return nil
}

// Attach logs the pass-through message.
func (l Log) Attach(_ context.Context, uid string, attachType int, _ map[string]any) error {
	l.logger().Debug("push (log sender): attach", "uid", uid, "attachType", attachType)
	return nil
}

// Bind logs the binding.
func (l Log) Bind(_ context.Context, uid, _ string) error {
	l.logger().Debug("push (log sender): bind device", "uid", uid)
	return nil
}

// Unbind logs the unbinding.
func (l Log) Unbind(_ context.Context, uid string) error {
	l.logger().Debug("push (log sender): unbind devices", "uid", uid)
	return nil
}

// Queue runs pushes on a few background workers. A user's pushes always go
// to the same worker, so they reach the provider in order (a logout's unbind
// never overtakes the bind before it). When a worker's buffer is full a push
// is dropped and logged rather than slowing the request down.
type Queue struct {
	sender Sender
	shards []chan func(context.Context)
	log    *slog.Logger
	wg     sync.WaitGroup
	// mu guards closed: enqueues (shared) never send on a closed channel.
	mu      sync.RWMutex
	closed  bool
	dropped atomic.Int64
}

// jobTimeout bounds one push, retries included, so a hung provider cannot
// hold a worker forever.
const jobTimeout = time.Minute

// NewQueue starts workers goroutines sending through s, with buffer pushes
// of room in total.
func NewQueue(s Sender, workers, buffer int, log *slog.Logger) *Queue {
	workers = max(workers, 1)
	q := &Queue{sender: s, log: log}
	for i := 0; i < workers; i++ {
		jobs := make(chan func(context.Context), max(buffer/workers, 1))
		q.shards = append(q.shards, jobs)
		q.wg.Add(1)
		go func() {
			defer q.wg.Done()
			for job := range jobs {
				ctx, cancel := context.WithTimeout(context.Background(), jobTimeout)
				job(ctx)
				cancel()
			}
		}()
	}
	return q
}

func (q *Queue) enqueue(what, uid string, job func(context.Context) error) {
	run := func(ctx context.Context) {
		if err := job(ctx); err != nil {
			q.log.Warn("push failed", "what", what, "uid", uid, "err", err)
		}
	}
	h := fnv.New32a()
	_, _ = h.Write([]byte(uid))
	q.mu.RLock()
	defer q.mu.RUnlock()
	if q.closed {
		q.dropped.Add(1)
		q.log.Warn("push queue closed, dropped", "what", what, "uid", uid)
		return
	}
	select {
	case q.shards[h.Sum32()%uint32(len(q.shards))] <- run:
	default:
		q.dropped.Add(1)
		q.log.Warn("push queue full, dropped", "what", what, "uid", uid)
	}
}

// Depth is the number of pushes waiting for a worker.
func (q *Queue) Depth() int {
	n := 0
	for _, jobs := range q.shards {
		n += len(jobs)
	}
	return n
}

// Dropped is the number of pushes dropped so far (queue full or closed).
func (q *Queue) Dropped() int64 { return q.dropped.Load() }

// Alert queues an alert to uid.
func (q *Queue) Alert(uid string, a Alert) {
	q.enqueue("alert", uid, func(ctx context.Context) error { return q.sender.Alert(ctx, uid, a) })
}

// Attach queues a pass-through message to uid.
func (q *Queue) Attach(uid string, attachType int, body map[string]any) {
	q.enqueue("attach", uid, func(ctx context.Context) error { return q.sender.Attach(ctx, uid, attachType, body) })
}

// Bind queues binding deviceID to uid.
func (q *Queue) Bind(uid, deviceID string) {
	q.enqueue("bind", uid, func(ctx context.Context) error { return q.sender.Bind(ctx, uid, deviceID) })
}

// Unbind queues unbinding uid's devices.
func (q *Queue) Unbind(uid string) {
	q.enqueue("unbind", uid, func(ctx context.Context) error { return q.sender.Unbind(ctx, uid) })
}

// Close stops accepting pushes and waits for the queued ones. Pushes queued
// after Close are dropped. Close may be called more than once.
func (q *Queue) Close() { _ = q.Shutdown(context.Background()) }

// Shutdown is Close bounded by ctx: it stops accepting pushes and waits
// for the queued ones until ctx ends, then returns ctx's error (the
// workers go on with what is left for as long as the process lives).
func (q *Queue) Shutdown(ctx context.Context) error {
	q.mu.Lock()
	if !q.closed {
		q.closed = true
		for _, jobs := range q.shards {
			close(jobs)
		}
	}
	q.mu.Unlock()
	done := make(chan struct{})
	go func() { q.wg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
