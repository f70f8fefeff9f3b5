package page

import (
	"context"
	"testing"

	"chaoqer/graph/errs"
)

func TestNewArgsFirst(t *testing.T) {
	gql, legacy := context.Background(), WithLegacy(context.Background())
	one, hundred, zero, over := 1, 100, 0, 101
	for _, f := range []*int{nil, &zero, &over} {
		_, err := NewArgs(gql, f, nil, Seq)
		if e, ok := errs.As(err); !ok || e.Kind != errs.KindBadUserInput || e.Argument != "first" {
			t.Errorf("GraphQL first %v: %v", f, err)
		}
		_, err = NewArgs(legacy, f, nil, Seq)
		if e, ok := errs.As(err); !ok || e.Kind != errs.KindBusiness || e.Message != msgBadCount {
			t.Errorf("legacy count %v: %v", f, err)
		}
	}
	for _, f := range []*int{&one, &hundred} {
		if _, err := NewArgs(gql, f, nil, Seq); err != nil {
			t.Errorf("first %d refused: %v", *f, err)
		}
	}
}

func TestNewArgsCursor(t *testing.T) {
	gql, legacy := context.Background(), WithLegacy(context.Background())
	const id, uid = "0123456789abcdef0123456789abcdef", "fedcba9876543210fedcba9876543210"
	twenty := 20
	parse := func(ctx context.Context, c string, f Format) (Args, error) { return NewArgs(ctx, &twenty, &c, f) }

	good := []struct {
		c          string
		f          Format
		after, tie string
	}{
		{"", Seq, "", ""},
		{"1614421213477:" + id, Seq, "1614421213477:" + id, ""},
		{"1614421213477:" + id + ":" + uid, SeqTie, "1614421213477:" + id, uid},
		{"1614421213477:" + id, SeqTie, "1614421213477:" + id, ""}, // the legacy member cursor
		{"42", Number, "42", ""},
	}
	for _, g := range good {
		for _, ctx := range []context.Context{gql, legacy} {
			a, err := parse(ctx, g.c, g.f)
			if err != nil || a.After != g.after || a.Tie != g.tie {
				t.Errorf("cursor %q: %+v %v", g.c, a, err)
			}
		}
	}
	if a, _ := parse(gql, "42", Number); a.AfterNumber != 42 {
		t.Errorf("number cursor: %+v", a)
	}

	bad := []struct {
		c string
		f Format
	}{
		{"zzz", Seq}, {"1614421213477", Seq}, {"1614421213477:" + id + ":" + uid, Seq},
		{"1614421213477:" + id + ":x", SeqTie}, {"x:" + id, SeqTie}, {"4.2", Number}, {"ten", Number},
	}
	for _, b := range bad {
		_, err := parse(gql, b.c, b.f)
		if e, ok := errs.As(err); !ok || e.Kind != errs.KindBadUserInput || e.Argument != "after" {
			t.Errorf("GraphQL cursor %q accepted or wrong error: %v", b.c, err)
		}
	}
	// Legacy lastIds of sequenceId lists are compared as strings, as the
	// original did; a non-numeric message lastId keeps its legacy message.
	if a, err := parse(legacy, "zzz", Seq); err != nil || a.After != "zzz" {
		t.Errorf("legacy lastId zzz: %+v %v", a, err)
	}
	if _, err := parse(legacy, "ten", Number); err == nil || err.Error() != msgBadLastID {
		t.Errorf("legacy message lastId: %v", err)
	}
}

func TestTrim(t *testing.T) {
	items, info := Trim([]string{"a", "b", "c"}, 2, func(s string) string { return s })
	if len(items) != 2 || !info.HasNextPage || *info.StartCursor != "a" || *info.EndCursor != "b" || info.HasPreviousPage {
		t.Fatalf("%v %+v", items, info)
	}
	items, info = Trim([]string{}, 2, func(s string) string { return s })
	if len(items) != 0 || info.HasNextPage || info.EndCursor != nil || info.StartCursor != nil {
		t.Fatalf("%v %+v", items, info)
	}
}
