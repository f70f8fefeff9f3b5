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
