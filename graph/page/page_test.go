package page

import "testing"

func TestNewArgs(t *testing.T) {
	one, hundred, zero, over := 1, 100, 0, 101
	for _, f := range []*int{nil, &zero, &over} {
		if _, err := NewArgs(f, nil); err == nil {
			t.Errorf("first %v accepted", f)
		}
	}
	for _, f := range []*int{&one, &hundred} {
		if _, err := NewArgs(f, nil); err != nil {
			t.Errorf("first %d refused: %v", *f, err)
		}
	}
}

func TestTrim(t *testing.T) {
	items, info := Trim([]string{"a", "b", "c"}, 2, func(s string) string { return s })
	if len(items) != 2 || !info.HasNextPage || *info.EndCursor != "b" {
		t.Fatalf("%v %+v", items, info)
	}
	items, info = Trim([]string{}, 2, func(s string) string { return s })
	if len(items) != 0 || info.HasNextPage || info.EndCursor != nil {
		t.Fatalf("%v %+v", items, info)
	}
}
