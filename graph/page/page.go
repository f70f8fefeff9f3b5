// Package page holds the keyset pagination rules shared by every list: a page
// size of 1..100 and cursors that are the legacy sequenceId strings, each
// unique within its list.
//
// The same resolvers serve GraphQL and the legacy REST routes (count →
// first, lastId → after). A legacy request (see WithLegacy) keeps the legacy
// answers: its validation messages, and any lastId string compared as the
// original did. A GraphQL request gets a BAD_USER_INPUT error naming the
// argument for a page size out of range or a cursor this server did not make.
package page

import (
	"context"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"chaoqer/graph/errs"
)

// MaxSize is the largest page a list returns.
const MaxSize = 100

// Legacy validation messages of the pagination parameters.
const (
	msgBadCount  = "count只能在0到100之间"
	msgBadLastID = "lastId类型不正确"
)

// Format is the shape of a list's cursors.
type Format int

const (
	// Seq is the legacy sequenceId "{ms}:{32-hex id}": the id makes it
	// unique within its list, and its string order is (time, id) order.
	Seq Format = iota
	// SeqTie is "{ms}:{32-hex id}:{32-hex tiebreaker}", for lists whose
	// legacy sequenceId is not unique (club members: "{joinTime}:{clubId}",
	// spec §12 B5, plus the member's uid). The legacy two-part form is still
	// accepted and continues strictly after its sequenceId, as it did.
	SeqTie
	// Number is a decimal int64 (message ids).
	Number
)

var (
	seqPattern    = regexp.MustCompile(`^[0-9]{1,19}:[0-9a-f]{32}$`)
	seqTiePattern = regexp.MustCompile(`^[0-9]{1,19}:[0-9a-f]{32}(:[0-9a-f]{32})?$`)
)

// Args are a list's page request: First items after the cursor.
type Args struct {
	First int
	// After is where the page continues ("" = from the start): the
	// sequenceId to page strictly after (for SeqTie, the cursor without its
	// tiebreaker), or the decimal id of a Number cursor.
	After string
	// Tie is a SeqTie cursor's tiebreaker: the page continues after
	// (After, Tie). "" for a legacy two-part cursor (strictly after After).
	Tie string
	// AfterNumber is a Number cursor's value (valid when After != "").
	AfterNumber int64
}

type legacyKey struct{}

// WithLegacy marks ctx as a legacy REST request: page errors use the legacy
// messages (errorCode 0) and lastId strings are compared as the original did.
func WithLegacy(ctx context.Context) context.Context {
	return context.WithValue(ctx, legacyKey{}, true)
}

func isLegacy(ctx context.Context) bool {
	v, _ := ctx.Value(legacyKey{}).(bool)
	return v
}

// NewArgs checks first (1..100) and the after cursor of a list whose cursors
// have format f, and returns the page request.
func NewArgs(ctx context.Context, first *int, after *string, f Format) (Args, error) {
	legacy := isLegacy(ctx)
	a := Args{}
	if first != nil {
		a.First = *first
	}
	if a.First < 1 || a.First > MaxSize {
		if legacy {
			return Args{}, errs.Failure(msgBadCount)
		}
		return Args{}, errs.BadArgument("first", fmt.Sprintf("first must be between 1 and %d", MaxSize))
	}
	if after == nil || *after == "" {
		return a, nil
	}
	if err := a.setAfter(*after, f, legacy); err != nil {
		return Args{}, err
	}
	return a, nil
}

// setAfter parses a cursor. A legacy lastId of a sequenceId list may be
// any string (the original compared strings); only its tiebreaker is split
// off.
func (a *Args) setAfter(c string, f Format, legacy bool) error {
	switch f {
	case Number:
		n, err := strconv.ParseInt(c, 10, 64)
		if err != nil {
			if legacy {
				return errs.Failure(msgBadLastID)
			}
			return badCursor()
		}
		a.After, a.AfterNumber = c, n
		return nil
	case SeqTie:
		if !legacy && !seqTiePattern.MatchString(c) {
			return badCursor()
		}
		a.After = c
		if strings.Count(c, ":") >= 2 {
			i := strings.LastIndexByte(c, ':')
			a.After, a.Tie = c[:i], c[i+1:]
		}
		return nil
	default:
		if !legacy && !seqPattern.MatchString(c) {
			return badCursor()
		}
		a.After = c
		return nil
	}
}

func badCursor() error {
	return errs.BadArgument("after", "after is not a cursor of this list (use an edge's cursor or pageInfo.endCursor)")
}

// TieCursor is the cursor of a SeqTie row: its sequenceId and tiebreaker.
func TieCursor(seq, tie string) string { return seq + ":" + tie }

// Info is a page's Relay PageInfo: whether more items follow and the
// cursors of its first and last items. Lists page forward only, so
// HasPreviousPage is always false (the Relay specification allows that for
// first/after paging).
type Info struct {
	HasNextPage     bool
	HasPreviousPage bool
	StartCursor     *string
	EndCursor       *string
}

// Trim cuts a result fetched with limit First+1 down to First items and
// reports whether there were more. cursor returns an item's cursor.
func Trim[T any](items []T, first int, cursor func(T) string) ([]T, Info) {
	info := Info{}
	if len(items) > first {
		items = items[:first]
		info.HasNextPage = true
	}
	if n := len(items); n > 0 {
		start, end := cursor(items[0]), cursor(items[n-1])
		info.StartCursor, info.EndCursor = &start, &end
	}
	return items, info
}
