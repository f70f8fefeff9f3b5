package bus

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/lib/pq"
)

// maxNotify is the largest payload sent inline; PostgreSQL refuses NOTIFY
// payloads of 8000 bytes or more, and the origin prefix needs a few.
const maxNotify = 7900

// refTTL is how long an oversized payload stays readable for the other
// instances.
const refTTL = time.Minute

// Store keeps oversized payloads for a short while so that a notification
// can carry a reference instead (the kvstore satisfies it).
type Store interface {
	Set(ctx context.Context, key, value string, ttl time.Duration) error
	Get(ctx context.Context, key string) (string, bool, error)
}

// PostgresConfig configures a LISTEN/NOTIFY bus.
type PostgresConfig struct {
	URL     string  // connection string for the listening connection
	DB      *sql.DB // pool used to NOTIFY
	Channel string  // notification channel (one per database schema)
	Origin  string  // this instance's id; its own notifications are skipped
	Store   Store   // holds payloads too large for NOTIFY
	Handler Handler
	Log     *slog.Logger
	// NewID makes the keys of stored payloads.
	NewID func() string
}

// Postgres is a bus over PostgreSQL LISTEN/NOTIFY. Payloads published here
// are handed to the local handler at once (no round trip); notifications
// from other instances arrive through a dedicated listening connection.
type Postgres struct {
	cfg      PostgresConfig
	listener *pq.Listener
	localMu  sync.Mutex
	done     chan struct{}
	stop     context.CancelFunc
	// up is false while the listening connection is lost (between a
	// disconnect and the reconnect) and after Close.
	up atomic.Bool
}

// NewPostgres starts listening on cfg.Channel.
func NewPostgres(cfg PostgresConfig) (*Postgres, error) {
	if cfg.Channel == "" || cfg.Origin == "" || strings.Contains(cfg.Origin, "|") {
		return nil, errors.New("bus: channel and an origin without '|' are required")
	}
	b := &Postgres{cfg: cfg, done: make(chan struct{})}
	b.listener = pq.NewListener(cfg.URL, 100*time.Millisecond, 5*time.Second, func(ev pq.ListenerEventType, err error) {
		switch ev {
		case pq.ListenerEventConnected, pq.ListenerEventReconnected:
			b.up.Store(true)
		case pq.ListenerEventDisconnected, pq.ListenerEventConnectionAttemptFailed:
			b.up.Store(false)
		}
		if err != nil {
			cfg.Log.Warn("room bus listener", "event", ev.String(), "err", err)
		}
	})
	if err := b.listener.Listen(cfg.Channel); err != nil {
		_ = b.listener.Close() // the LISTEN failure is the error to report
		return nil, fmt.Errorf("bus: LISTEN %s: %w", cfg.Channel, err)
	}
	b.up.Store(true) // Listen succeeded on a live connection
	ctx, stop := context.WithCancel(context.Background())
	b.stop = stop
	go b.receive(ctx)
	return b, nil
}

// Publish hands payload to the local handler and notifies the other
// instances. Payloads too large for NOTIFY are stored and sent by reference.
func (b *Postgres) Publish(ctx context.Context, payload []byte) error {
	b.localMu.Lock()
	b.cfg.Handler(payload)
	b.localMu.Unlock()

	text := b.cfg.Origin + "|" + string(payload)
	if len(text) > maxNotify {
		key := "bus:" + b.cfg.NewID()
		if err := b.cfg.Store.Set(ctx, key, string(payload), refTTL); err != nil {
			return fmt.Errorf("bus: storing a large payload: %w", err)
		}
		text = b.cfg.Origin + "|@" + key
	}
	if _, err := b.cfg.DB.ExecContext(ctx, "SELECT pg_notify($1, $2)", b.cfg.Channel, text); err != nil {
		return fmt.Errorf("bus: NOTIFY: %w", err)
	}
	return nil
}

func (b *Postgres) receive(ctx context.Context) {
	defer close(b.done)
	ping := time.NewTicker(30 * time.Second)
	defer ping.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-ping.C:
			go func() { _ = b.listener.Ping() }()
		case n, ok := <-b.listener.Notify:
			if !ok {
				return
			}
			if n == nil {
				// The listening connection was re-established: anything
				// sent meanwhile is lost (presence rows stay right; only
				// transient events are missed).
				b.cfg.Log.Warn("room bus reconnected; notifications may have been missed")
				continue
			}
			b.deliver(ctx, n.Extra)
		}
	}
}

func (b *Postgres) deliver(ctx context.Context, text string) {
	origin, body, ok := strings.Cut(text, "|")
	if !ok || origin == b.cfg.Origin {
		return
	}
	if strings.HasPrefix(body, "@") {
		v, found, err := b.cfg.Store.Get(ctx, body[1:])
		if err != nil || !found {
			b.cfg.Log.Warn("room bus: a large payload could not be read", "found", found, "err", err)
			return
		}
		body = v
	}
	b.localMu.Lock()
	b.cfg.Handler([]byte(body))
	b.localMu.Unlock()
}

// Listening reports whether the listening connection is up.
func (b *Postgres) Listening() bool { return b.up.Load() }

// Close stops listening.
func (b *Postgres) Close() error {
	b.up.Store(false)
	b.stop()
	err := b.listener.Close()
	<-b.done
	return err
}

// ChannelFor returns the notification channel for the database schema the
// pool works in, so that instances (and tests) on different schemas of one
// database never hear each other.
func ChannelFor(ctx context.Context, db *sql.DB) (string, error) {
	var schema string
	if err := db.QueryRowContext(ctx, "SELECT current_schema()").Scan(&schema); err != nil {
		return "", fmt.Errorf("bus: reading the current schema: %w", err)
	}
	name := "chaoqer_room_" + schema
	if len(name) > 63 {
		name = name[:63]
	}
	return name, nil
}
