package text

import "testing"

func TestName(t *testing.T) {
	cases := map[string]string{
		"a\r\nb":          "a b",
		"a\nb":            "a b",
		"a\u2028b\u2029c": "a b c",
		"a\tb\u00a0c":     "a b c",
		"\ufeffa\u000bb":  " a b",
		"普通名字":            "普通名字",
	}
	for in, want := range cases {
		if got := Name(in); got != want {
			t.Errorf("Name(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestLenCountsUTF16Units(t *testing.T) {
	if n := Len("ab中😀"); n != 5 {
		t.Fatalf("Len = %d, want 5", n)
	}
}

func TestBlank(t *testing.T) {
	empty, spaces, word := "", " \t\n", " x "
	if !Blank(nil) || !Blank(&empty) || !Blank(&spaces) || Blank(&word) {
		t.Fatal("Blank")
	}
}

func TestStorable(t *testing.T) {
	cases := map[string]bool{
		"":              true,
		"普通 text 😀":     true,
		"\ufffd":        true, // the replacement character itself is valid text
		"a\x00b":        false,
		"\xff":          false,
		"a\xed\xa0\x80": false, // an encoded surrogate is not UTF-8
		"\xc0\xaf":      false, // overlong encoding
	}
	for in, want := range cases {
		if got := Storable(in); got != want {
			t.Errorf("Storable(%q) = %v, want %v", in, got, want)
		}
	}
}

func TestStorableValue(t *testing.T) {
	good := map[string]any{"a": []any{"x", 1, nil, true, map[string]any{"k": "v"}}}
	if !StorableValue(good) {
		t.Fatal("good value refused")
	}
	for _, bad := range []any{
		"\x00",
		[]any{"ok", "\xff"},
		map[string]any{"\xff": "key is bad"},
		map[string]any{"a": map[string]any{"b": []any{"c\x00"}}},
	} {
		if StorableValue(bad) {
			t.Errorf("StorableValue(%#v) = true", bad)
		}
	}
}
