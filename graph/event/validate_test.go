package event

import (
	"math"
	"testing"

	"chaoqer/graph/errs"
	"chaoqer/graph/ids"
)

func TestEventTimeRange(t *testing.T) {
	name, member := "日程", ids.New()
	cases := []struct {
		at  int64
		msg string // "" = accepted
	}{
		{MinTime, ""},
		{1_620_748_800_000, ""},
		{MaxTime, ""},
		{MinTime - 1, msgBadTime},
		{MaxTime + 1, msgBadTime},
		{0, msgBadTime},
		{-1, msgBadTime},
		{math.MaxInt64, msgBadTime}, // was accepted and shown expired (overflow)
		{math.MinInt64, msgBadTime},
	}
	for _, c := range cases {
		at := c.at
		_, err := Input{Name: &name, EventTime: &at, MemberUIDList: []string{member}}.validate()
		switch {
		case c.msg == "" && err != nil:
			t.Errorf("eventTime %d refused: %v", c.at, err)
		case c.msg != "":
			e, ok := errs.As(err)
			if !ok || e.Message != c.msg || e.Code != errs.CodeFailure {
				t.Errorf("eventTime %d: got %v, want failure %q", c.at, err, c.msg)
			}
		}
	}
}
