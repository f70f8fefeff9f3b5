// Package ids makes the identifiers and keyset values of the legacy API:
// 32-hex random ids, "{ms}:{id}" sequence ids and MD5 keys.
package ids

import (
	"crypto/md5"
	"encoding/hex"
	"regexp"
	"strconv"
	"time"

	"github.com/google/uuid"
)

var hex32 = regexp.MustCompile(`^[a-f0-9]{32}$`)

// New returns a random UUID v4 as 32 lowercase hex characters.
func New() string {
	u := uuid.New()
	return hex.EncodeToString(u[:])
}

// Valid reports whether s is 32 lowercase hex characters.
func Valid(s string) bool { return len(s) == 32 && hex32.MatchString(s) }

// Seq is the legacy sequenceId "{ms}:{id}"; its string order is time order.
func Seq(ms int64, id string) string { return strconv.FormatInt(ms, 10) + ":" + id }

// MD5 is the lowercase hex MD5 of s.
func MD5(s string) string {
	sum := md5.Sum([]byte(s))
	return hex.EncodeToString(sum[:])
}

// Ms converts t to epoch milliseconds.
func Ms(t time.Time) int64 { return t.UnixMilli() }
