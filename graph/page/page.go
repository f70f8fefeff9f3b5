// Package page holds the keyset pagination rules shared by every list: a page
// size of 1..100 and cursors that are the legacy sequenceId strings.
package page

import "chaoqer/graph/errs"

// MaxSize is the largest page a list returns.
const MaxSize = 100

// Legacy validation messages of the pagination parameters.
const msgBadCount = "count只能在0到100之间"

// Args are a list's page request: First items after the cursor After
// ("" = from the start).
type Args struct {
	First int
	After string
}

// NewArgs checks first (1..100) and returns the page request.
func NewArgs(first *int, after *string) (Args, error) {
	a := Args{First: 0}
	if first != nil {
		a.First = *first
	}
	if a.First < 1 || a.First > MaxSize {
		return Args{}, errs.Failure(msgBadCount)
	}
	if after != nil {
		a.After = *after
	}
	return a, nil
}

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
