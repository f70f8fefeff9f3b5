// Package viewer carries who is calling (the authenticated account, if any)
// and which client they use through a request's context.
package viewer

import (
	"context"
	"strconv"
	"strings"

	"chaoqer/graph/text"
)

// Account statuses (spec §3.3).
const (
	StatusDeleted = -99
	StatusFrozen  = -2
	StatusLimited = -1
	StatusDefault = 0 // registered, profile not initialised
	StatusNormal  = 1
)

// Client types sent in the Client-Type header.
const (
	ClientWeb     = 0
	ClientIOS     = 1
	ClientAndroid = 2
)

// Client describes the calling app from its headers.
type Client struct {
	Type        int
	VersionName string
	VersionCode int
	IP          string
}

// Viewer is the authenticated caller.
type Viewer struct {
	UID    string
	Status int
	Secret string // the session's signing secret (never logged)
}

// Initialized reports whether the profile has been set up (status 1).
func (v *Viewer) Initialized() bool { return v != nil && v.Status == StatusNormal }

type viewerKey struct{}
type clientKey struct{}
type authenticationKey struct{}

// Authentication is the outcome of checking a request's Authorization
// header (account.Service.AuthenticateHeader): the viewer, or the error
// that refused the header.
type Authentication struct {
	Header string
	Viewer *Viewer
	Err    error
}

// WithAuthentication returns ctx carrying a, so that the later stages of
// the same request that check the same header take a instead of looking
// the session up again: the edge authenticates a request for its per-uid
// limits, then the GraphQL middleware, the legacy handler or a socket's
// handler for the operation.
func WithAuthentication(ctx context.Context, a Authentication) context.Context {
	return context.WithValue(ctx, authenticationKey{}, a)
}

// AuthenticationFrom returns the outcome ctx carries for header; ok is
// false when it carries none, or one for another header.
func AuthenticationFrom(ctx context.Context, header string) (a Authentication, ok bool) {
	a, ok = ctx.Value(authenticationKey{}).(Authentication)
	return a, ok && a.Header == header
}

// With returns ctx carrying v.
func With(ctx context.Context, v *Viewer) context.Context {
	return context.WithValue(ctx, viewerKey{}, v)
}

// From returns the viewer in ctx, or nil for anonymous callers.
func From(ctx context.Context) *Viewer {
	v, _ := ctx.Value(viewerKey{}).(*Viewer)
	return v
}

// UID returns the viewer's uid, or "" for anonymous callers.
func UID(ctx context.Context) string {
	if v := From(ctx); v != nil {
		return v.UID
	}
	return ""
}

// WithClient returns ctx carrying c.
func WithClient(ctx context.Context, c Client) context.Context {
	return context.WithValue(ctx, clientKey{}, c)
}

// ClientFrom returns the client info in ctx (zero value when unknown).
func ClientFrom(ctx context.Context) Client {
	c, _ := ctx.Value(clientKey{}).(Client)
	return c
}

// ParseClient reads the Client-Type, Version-Name and Version-Code header
// values. ok is false when a numeric header is not an integer (the legacy
// server answered 500 there; we answer 400) or when Version-Name, which is
// stored with the account, is not storable text (text.Storable).
func ParseClient(clientType, versionName, versionCode string) (c Client, ok bool) {
	c.VersionName = "UNKNOWN"
	if s := strings.TrimSpace(clientType); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil {
			return c, false
		}
		if n == ClientIOS || n == ClientAndroid {
			c.Type = n
		}
	}
	if !text.Storable(versionName) {
		return c, false
	}
	if s := strings.TrimSpace(versionName); s != "" {
		c.VersionName = s
	}
	if s := strings.TrimSpace(versionCode); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil {
			return c, false
		}
		c.VersionCode = n
	}
	return c, true
}
