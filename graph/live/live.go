// Package live is the presence and signalling service of live rooms (spec
// §4): who is connected to a room with which role (0 audience, 1 speaker,
// 2 host), raised hands, invitations to speak, pins, the live state, and the
// room events every member hears. The legacy WebSocket transport
// (rest/roomws) and the GraphQL subscription both drive this one service.
//
// State lives in the database (room_presences, room_pins, room_requests,
// rooms.live_state/empty_since/ruid_seq), so several instances can serve one
// room; room events travel between instances over a bus (graph/bus). Each
// instance only keeps the sockets it holds.
package live

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"chaoqer/ent/entdb"
	"chaoqer/graph/bus"
	"chaoqer/graph/errs"
	"chaoqer/graph/ids"
	"chaoqer/graph/kvstore"
)

// Roles of a member.
const (
	RoleAudience = 0
	RoleSpeaker  = 1
	RoleHost     = 2
)

// ErrRoomClosed is returned when joining a room that is closed or missing.
var ErrRoomClosed = errors.New("live: room closed or missing")

// ErrNotMember is returned when a caller acts in a room they are not
// connected to.
var ErrNotMember = errors.New("live: not connected to the room")

// Rooms is what the live service needs of the room service.
type Rooms interface {
	// MayJoin tells whether uid may reach the open room roomID under the
	// rooms' one access rule (room.Allows, spec §12 S5): connect to it,
	// read its live state, act in it. Any error refuses.
	MayJoin(ctx context.Context, uid, roomID string) error
	// Close closes a room without permission checks: closed=1, close_time,
	// feed visibility removed, presence/pin/request rows deleted. It must be
	// idempotent (closing a closed room is a no-op).
	Close(ctx context.Context, roomID string) error
}

// LinkRecorder receives every link shared with the tool/link action (the
// raw, at most 500-character text), for the link-preview cache (spec §7).
type LinkRecorder interface {
	Record(ctx context.Context, text string)
}

// Config tunes the service; zero values take the defaults.
type Config struct {
	// InstanceID names this server instance in presence rows and must be
	// unique among running instances. Kept across restarts, it lets
	// Reclaim remove at start what the instance held before; empty means a
	// random id per start (its rows are then only reaped by others).
	InstanceID string
	// RefreshEvery is how often this instance marks its presence rows as seen.
	RefreshEvery time.Duration
	// StaleAfter is how long rows of an instance that stopped refreshing
	// survive before another instance removes them.
	StaleAfter time.Duration
	// SweepAfter closes open rooms nobody has been connected to for this long.
	SweepAfter time.Duration
	// SweepEvery is how often the sweeper looks (one instance at a time).
	SweepEvery time.Duration
	// CloseGrace is how long a socket stays open after {"event":"close"}.
	CloseGrace time.Duration
	// IconTTL is how long an icon shows before its clear is broadcast.
	IconTTL time.Duration
	// QueueSize bounds the messages waiting for one slow connection; a
	// connection that falls further behind is dropped.
	QueueSize int
}

func (c *Config) defaults() {
	if c.InstanceID == "" {
		c.InstanceID = ids.New()
	}
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&c.RefreshEvery, 15*time.Second)
	def(&c.StaleAfter, 4*c.RefreshEvery)
	def(&c.SweepAfter, 10*time.Minute)
	def(&c.SweepEvery, time.Minute)
	def(&c.CloseGrace, 3*time.Second)
	def(&c.IconTTL, 14*time.Second)
	if c.QueueSize <= 0 {
		c.QueueSize = 512
	}
}

// Service is the live-room service of one instance.
type Service struct {
	db    *entdb.DB
	kv    *kvstore.Store
	rooms Rooms
	links LinkRecorder
	log   *slog.Logger
	cfg   Config
	now   func() time.Time

	bus   bus.Bus
	hub   hub
	icons icons

	conns        sync.WaitGroup
	shuttingDown atomic.Bool
	// refreshes counts Refresh calls; it orders joins against refresh
	// snapshots without relying on clocks.
	refreshes atomic.Int64
}

// New returns the service. Set its bus with SetBus before use.
func New(db *entdb.DB, kv *kvstore.Store, rooms Rooms, links LinkRecorder, log *slog.Logger, cfg Config) *Service {
	cfg.defaults()
	s := &Service{db: db, kv: kv, rooms: rooms, links: links, log: log, cfg: cfg, now: time.Now}
	s.hub.rooms = map[string]map[*Conn]struct{}{}
	s.icons.timers = map[string]*time.Timer{}
	return s
}

// SetBus sets the bus that carries room events between instances; its
// handler must be s.Deliver.
func (s *Service) SetBus(b bus.Bus) { s.bus = b }

// SetClock replaces the time source (tests).
func (s *Service) SetClock(now func() time.Time) { s.now = now }

// InstanceID is this instance's id in presence rows.
func (s *Service) InstanceID() string { return s.cfg.InstanceID }

// Config returns the effective configuration.
func (s *Service) Config() Config { return s.cfg }

func (s *Service) nowMs() int64 { return ids.Ms(s.now()) }

// mayReach asks the room service whether uid may reach room; a refusal
// (or a closed or missing room) is ErrRoomClosed, so callers answer 400000.
func (s *Service) mayReach(ctx context.Context, uid, room string) error {
	err := s.rooms.MayJoin(ctx, uid, room)
	if errors.Is(err, errs.RoomNotFound) {
		return ErrRoomClosed
	}
	return err
}

// Stats reports the rooms with a member connected to this instance and
// the connections (legacy sockets and GraphQL subscriptions) it holds.
func (s *Service) Stats() (rooms, conns int) { return s.hub.counts() }

// ShuttingDown reports whether Shutdown has begun: transports then close
// with "going away" rather than a normal closure.
func (s *Service) ShuttingDown() bool { return s.shuttingDown.Load() }

// GoAway starts Shutdown without waiting: new connections are refused and
// every connection of this instance ends now (rooms stay open; clients
// reconnect, to another instance).
func (s *Service) GoAway() {
	s.shuttingDown.Store(true)
	for _, c := range s.hub.all() {
		c.kick()
	}
}

// Shutdown ends every connection of this instance without closing rooms
// (clients reconnect elsewhere), waits for their presence rows to go, and
// stops the bus.
func (s *Service) Shutdown(ctx context.Context) {
	s.GoAway()
	done := make(chan struct{})
	go func() { s.conns.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
		s.log.Warn("live rooms: connections still open at shutdown")
	}
	s.icons.stopAll()
	if s.bus != nil {
		if err := s.bus.Close(); err != nil {
			s.log.Warn("closing the room bus", "err", err)
		}
	}
}
