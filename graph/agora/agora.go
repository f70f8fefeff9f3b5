// Package agora issues the Agora RTC tokens that let an app join a room's
// voice channel (spec §4.6). Tokens are AccessToken v006 ("006" + app id +
// signed payload) for channel = room id, uid 0 (valid for any uid) and the
// publisher role, valid for 24 hours, exactly as the legacy server built them.
//
// Builder is the interface the room service uses; New returns the real
// builder for valid credentials and, without them, one that always fails, so
// a misconfigured server answers a clear error instead of a token Agora
// would reject.
package agora

import (
	"errors"
	"fmt"
	"regexp"
	"time"

	"github.com/AgoraIO-Community/go-tokenbuilder/rtctokenbuilder"
)

// TokenTTL is how long a token's privileges last.
const TokenTTL = 24 * time.Hour

// ErrNotConfigured means the server has no usable Agora credentials.
var ErrNotConfigured = errors.New("agora: AGORA_APP_ID and AGORA_APP_CERTIFICATE must be 32 hex characters")

// Builder issues RTC tokens.
type Builder interface {
	// RoomToken returns a token for the room's channel, valid from now for TokenTTL.
	RoomToken(roomID string, now time.Time) (string, error)
}

var hex32 = regexp.MustCompile(`^[0-9a-fA-F]{32}$`)

// New returns the builder for appID and certificate, or, when either is not
// 32 hex characters, a builder whose every call fails with ErrNotConfigured.
func New(appID, certificate string) Builder {
	if !hex32.MatchString(appID) || !hex32.MatchString(certificate) {
		return Unconfigured{}
	}
	return v006{appID: appID, certificate: certificate}
}

// Configured reports whether b can issue tokens.
func Configured(b Builder) bool {
	_, off := b.(Unconfigured)
	return !off
}

// v006 builds AccessToken v006 tokens with Agora's community token builder.
type v006 struct {
	appID, certificate string
}

// RoomToken builds a publisher token for channel roomID and uid 0.
func (b v006) RoomToken(roomID string, now time.Time) (string, error) {
	expire := uint32(now.Add(TokenTTL).Unix())
	tok, err := rtctokenbuilder.BuildTokenWithUID(b.appID, b.certificate, roomID, 0, rtctokenbuilder.RolePublisher, expire)
	if err != nil {
		return "", fmt.Errorf("agora: building token: %w", err)
	}
	return tok, nil
}

// Unconfigured is the builder of a server without Agora credentials.
type Unconfigured struct{}

// RoomToken always fails with ErrNotConfigured.
func (Unconfigured) RoomToken(string, time.Time) (string, error) { return "", ErrNotConfigured }
