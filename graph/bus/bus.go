// Package bus fans small messages out to every server instance: in process
// when there is only one (SQLite), through PostgreSQL LISTEN/NOTIFY when
// several instances share a database. Live rooms use it so that a member
// connected to one instance hears what happens on another.
package bus

import (
	"context"
	"sync"
)

// Handler receives every published payload. It is called from a single
// goroutine per bus, in publication order for payloads of one instance, and
// must not block for long.
type Handler func(payload []byte)

// Bus delivers each published payload to the handler of every instance,
// including the publishing one.
type Bus interface {
	// Publish sends payload to every instance. The local handler has run
	// when Publish returns; other instances get it shortly after.
	Publish(ctx context.Context, payload []byte) error
	// Close stops receiving.
	Close() error
	// Listening reports whether the bus currently receives other
	// instances' payloads (readiness: an instance that cannot hear room
	// events must not take traffic).
	Listening() bool
}

// Local is the bus of a single instance: Publish calls the handler directly.
type Local struct {
	mu      sync.Mutex
	handler Handler
	closed  bool
}

// NewLocal returns an in-process bus delivering to h.
func NewLocal(h Handler) *Local { return &Local{handler: h} }

// Publish runs the handler with payload.
func (b *Local) Publish(_ context.Context, payload []byte) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.closed {
		b.handler(payload)
	}
	return nil
}

// Listening reports whether the bus is open; an in-process bus has no
// connection to lose.
func (b *Local) Listening() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return !b.closed
}

// Close stops delivery.
func (b *Local) Close() error {
	b.mu.Lock()
	b.closed = true
	b.mu.Unlock()
	return nil
}
