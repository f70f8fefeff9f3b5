package live

import (
	"context"
	"encoding/json"
	"sync"
	"time"
)

// Conn is one connection of a member to a room held by this instance: a
// legacy WebSocket or a GraphQL subscription. Messages for it arrive on Out;
// Done is closed when the server ends it (replaced, room closed, too slow,
// shutdown), after which the transport must close and call Disconnect.
type Conn struct {
	ID   string
	Room string
	UID  string

	svc  *Service
	out  chan []byte
	done chan struct{}
	once sync.Once

	mu    sync.Mutex
	ready bool
	// joinedAt is the refresh generation read after the join committed
	// (set before ready): a refresh of a later generation saw the row.
	joinedAt int64
	closing  bool
	pending  [][]byte
}

// Out carries the messages (legacy JSON frames) to send, in order.
func (c *Conn) Out() <-chan []byte { return c.out }

// Done is closed when the server ends the connection.
func (c *Conn) Done() <-chan struct{} { return c.done }

// kick ends the connection now.
func (c *Conn) kick() { c.once.Do(func() { close(c.done) }) }

// deliver queues msg; before the join sequence has been sent, messages
// wait so that they follow it. A connection whose queue is full is dropped.
func (c *Conn) deliver(msg []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closing {
		return
	}
	c.push(msg)
}

func (c *Conn) push(msg []byte) {
	if !c.ready {
		if len(c.pending) >= c.svc.cfg.QueueSize {
			c.kick()
			return
		}
		c.pending = append(c.pending, msg)
		return
	}
	select {
	case c.out <- msg:
	default:
		c.svc.log.Warn("live rooms: dropping a connection that does not keep up", "room", c.Room, "uid", c.UID)
		c.kick()
	}
}

// start sends first (the join sequence), then what arrived meanwhile;
// generation is the refresh generation read after the join committed.
func (c *Conn) start(generation int64, first ...[]byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.joinedAt = generation
	c.ready = true
	pending := c.pending
	c.pending = nil
	for _, m := range first {
		c.push(m)
	}
	for _, m := range pending {
		c.push(m)
	}
}

// closeWithNotice sends {"event":"close"} once and ends the connection
// after the grace period.
func (c *Conn) closeWithNotice() {
	c.mu.Lock()
	if c.closing {
		c.mu.Unlock()
		return
	}
	c.push(closeMsg)
	c.closing = true
	c.mu.Unlock()
	time.AfterFunc(c.svc.cfg.CloseGrace, c.kick)
}

// hub indexes this instance's connections by room.
type hub struct {
	mu    sync.RWMutex
	rooms map[string]map[*Conn]struct{}
}

func (h *hub) add(c *Conn) {
	h.mu.Lock()
	defer h.mu.Unlock()
	m := h.rooms[c.Room]
	if m == nil {
		m = map[*Conn]struct{}{}
		h.rooms[c.Room] = m
	}
	m[c] = struct{}{}
}

func (h *hub) remove(c *Conn) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if m := h.rooms[c.Room]; m != nil {
		delete(m, c)
		if len(m) == 0 {
			delete(h.rooms, c.Room)
		}
	}
}

func (h *hub) each(room string, fn func(*Conn)) {
	h.mu.RLock()
	defer h.mu.RUnlock()
	for c := range h.rooms[room] {
		fn(c)
	}
}

// counts returns the rooms with a connection here and the connections.
func (h *hub) counts() (rooms, conns int) {
	h.mu.RLock()
	defer h.mu.RUnlock()
	for _, m := range h.rooms {
		conns += len(m)
	}
	return len(h.rooms), conns
}

func (h *hub) all() []*Conn {
	h.mu.RLock()
	defer h.mu.RUnlock()
	var out []*Conn
	for _, m := range h.rooms {
		for c := range m {
			out = append(out, c)
		}
	}
	return out
}

// Envelope kinds on the bus.
const (
	kindBroadcast  = "b" // deliver Msg (to UIDs only, when set)
	kindCloseConn  = "x" // a replaced connection: close Conn
	kindRoomClosed = "c" // the room closed: close every connection
)

// envelope is what travels on the bus.
type envelope struct {
	Kind string          `json:"k"`
	Room string          `json:"r"`
	UIDs []string        `json:"u,omitempty"`
	Conn string          `json:"c,omitempty"`
	Msg  json.RawMessage `json:"m,omitempty"`
	// Then is sent right after Msg to the connections of ThenUID only
	// (the raised-hand list for a member who just became host).
	ThenUID string          `json:"tu,omitempty"`
	Then    json.RawMessage `json:"t,omitempty"`
}

// Deliver is the bus handler: it hands a published envelope to this
// instance's connections of the room.
func (s *Service) Deliver(payload []byte) {
	var e envelope
	if err := json.Unmarshal(payload, &e); err != nil {
		s.log.Warn("live rooms: malformed bus message", "err", err)
		return
	}
	switch e.Kind {
	case kindBroadcast:
		var only map[string]bool
		if len(e.UIDs) > 0 {
			only = make(map[string]bool, len(e.UIDs))
			for _, u := range e.UIDs {
				only[u] = true
			}
		}
		msg := []byte(e.Msg)
		s.hub.each(e.Room, func(c *Conn) {
			if only != nil && !only[c.UID] {
				return
			}
			c.deliver(msg)
			if e.ThenUID == c.UID && len(e.Then) > 0 {
				c.deliver([]byte(e.Then))
			}
		})
	case kindCloseConn:
		s.hub.each(e.Room, func(c *Conn) {
			if c.ID == e.Conn {
				c.closeWithNotice()
			}
		})
	case kindRoomClosed:
		s.icons.stopRoom(e.Room)
		s.hub.each(e.Room, func(c *Conn) { c.closeWithNotice() })
	}
}

func (s *Service) publish(ctx context.Context, e envelope) {
	// Without HTML escaping: frames must arrive byte for byte.
	if err := s.bus.Publish(ctx, encode(e)); err != nil {
		s.log.Warn("live rooms: publishing a room event", "room", e.Room, "err", err)
	}
}

// broadcast sends msg to every connection of room on every instance.
func (s *Service) broadcast(ctx context.Context, room string, msg []byte) {
	s.publish(ctx, envelope{Kind: kindBroadcast, Room: room, Msg: msg})
}

// RoomClosed tells every connection of the room, on every instance, that the
// room is closed ({"event":"close"}) and closes them after the grace period.
// Wire it to the room service's close hook; calling it twice is harmless.
func (s *Service) RoomClosed(ctx context.Context, roomID string) {
	s.publish(ctx, envelope{Kind: kindRoomClosed, Room: roomID})
}

// icons remembers the emoji each member shows and clears it after IconTTL
// with a timer per member (spec §12 B14: no scans).
type icons struct {
	mu     sync.Mutex
	timers map[string]*time.Timer
}

func (i *icons) set(key string, ttl time.Duration, fire func()) {
	i.mu.Lock()
	defer i.mu.Unlock()
	if t := i.timers[key]; t != nil {
		t.Stop()
	}
	var t *time.Timer
	t = time.AfterFunc(ttl, func() {
		i.mu.Lock()
		current := i.timers[key] == t
		if current {
			delete(i.timers, key)
		}
		i.mu.Unlock()
		if current {
			fire()
		}
	})
	i.timers[key] = t
}

func (i *icons) stopRoom(room string) {
	i.mu.Lock()
	defer i.mu.Unlock()
	prefix := room + "|"
	for k, t := range i.timers {
		if len(k) > len(prefix) && k[:len(prefix)] == prefix {
			t.Stop()
			delete(i.timers, k)
		}
	}
}

func (i *icons) stopAll() {
	i.mu.Lock()
	defer i.mu.Unlock()
	for k, t := range i.timers {
		t.Stop()
		delete(i.timers, k)
	}
}
