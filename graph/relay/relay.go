// Package relay implements Relay's Global Object Identification for the
// GraphQL API: every object that can be refetched (User, Club, Room, Event,
// Message) has an opaque id, unique across types, from which node(id:)
// recovers its type and legacy id.
//
// The id is the unpadded base64url encoding of "{Type}:{legacy id}", e.g.
// "Club:3f2a…" → "Q2x1YjozZjJh…". Clients must treat it as opaque; the
// legacy ids (uid, clubId, roomId, eventId, messageId) stay as fields.
package relay

import (
	"encoding/base64"
	"strconv"
	"strings"

	"chaoqer/graph/ids"
)

// Type is a GraphQL type that implements Node.
type Type string

// The types that implement Node.
const (
	User    Type = "User"
	Club    Type = "Club"
	Room    Type = "Room"
	Event   Type = "Event"
	Message Type = "Message"
)

// Node is an object with a global id (the GraphQL interface Node).
type Node interface {
	// NodeID is the object's global id (see ID).
	NodeID() string
}

// ID is the global id of the object of type t whose legacy id is key.
func ID(t Type, key string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(string(t) + ":" + key))
}

// Parse splits a global id into its type and legacy id. ok is false when id
// is not one this server made (not base64url, no "Type:", an unknown type,
// or a key not of its type's shape: 32 lowercase hex characters, a positive
// decimal number for a Message); callers answer such an id as an unknown
// object. Checking the shape here means no decoded byte (NUL, invalid
// UTF-8) ever reaches a query.
func Parse(id string) (t Type, key string, ok bool) {
	raw, err := base64.RawURLEncoding.DecodeString(id)
	if err != nil {
		return "", "", false
	}
	name, key, found := strings.Cut(string(raw), ":")
	if !found || key == "" {
		return "", "", false
	}
	switch t := Type(name); t {
	case User, Club, Room, Event:
		if ids.Valid(key) {
			return t, key, true
		}
	case Message:
		if n, err := strconv.ParseInt(key, 10, 64); err == nil && n > 0 && strconv.FormatInt(n, 10) == key {
			return t, key, true
		}
	}
	return "", "", false
}
