package rest

import (
	"encoding/json"
	"sort"
	"strings"
	"testing"
)

func TestSignWorkedExamples(t *testing.T) {
	// The worked examples of spec §1.4.
	cases := []struct {
		params map[string]any
		secret string
		want   string
	}{
		{
			params: map[string]any{"count": "10", "lastId": "1614421213477:b4688e4583244aad8363d390073c86ff", "ts": "1620000000000"},
			secret: "e31bc25bcc6641a1a998eacb6ca9d244",
			want:   "41829a9e1030a9a7cc3461b5ae021b16",
		},
		{
			params: map[string]any{"countryCode": "86", "mobile": "13800138000", "ts": json.Number("1620000000000"), "sign": "ignored"},
			secret: "Hx!0k!K}5E.]EoP",
			want:   "409e8d90753eb63bb4ae568e351aa040",
		},
	}
	for _, c := range cases {
		if got := Sign(c.params, c.secret); got != c.want {
			t.Errorf("Sign(%v) = %s, want %s", c.params, got, c.want)
		}
	}
}

func TestVerifySignIgnoresCaseAndNewlines(t *testing.T) {
	p := map[string]any{"ts": "1"}
	s := Sign(p, "x")
	if !VerifySign(p, "\n"+string(toUpper(s)), "x") {
		t.Fatal("upper-case sign with a newline should verify")
	}
	if VerifySign(p, s, "y") {
		t.Fatal("a sign made with another secret must not verify")
	}
}

func toUpper(s string) []byte {
	b := []byte(s)
	for i, c := range b {
		if c >= 'a' && c <= 'z' {
			b[i] = c - 32
		}
	}
	return b
}

func TestSignTextOfNestedValues(t *testing.T) {
	var body map[string]any
	dec := json.NewDecoder(strings.NewReader(`{"l":["a","b"],"o":{"k2":"x","k1":1.50},"n":null,"b":true,"h":"<&>","u":"中文"}`))
	dec.UseNumber()
	if err := dec.Decode(&body); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"l": `["a","b"]`,
		"o": `{"k1":1.50,"k2":"x"}`,
		"n": "null",
		"b": "true",
		"h": "<&>",
		"u": "中文",
	}
	for k, w := range want {
		if got := signText(body[k]); got != w {
			t.Errorf("signText(%s) = %s, want %s", k, got, w)
		}
	}
	var nested map[string]any
	_ = json.Unmarshal([]byte(`{"x":{"s":"<a>\n\u0001"}}`), &nested)
	if got, w := signText(nested["x"]), `{"s":"<a>\n\u0001"}`; got != w {
		t.Errorf("escaping: got %s want %s", got, w)
	}
}

func TestSortIsWholeStringUTF16(t *testing.T) {
	parts := []string{"a=2", "a-=1", "\U0001F600=1", "\uFF01=1"}
	sort.Slice(parts, func(i, j int) bool { return lessUTF16(parts[i], parts[j]) })
	want := []string{"a-=1", "a=2", "\U0001F600=1", "\uFF01=1"}
	for i := range want {
		if parts[i] != want[i] {
			t.Fatalf("order %q, want %q", parts, want)
		}
	}
}

func TestSignIsDeterministicForEveryKey(t *testing.T) {
	// "\xff" (invalid UTF-8, as %FF decodes) and "\ufffd" (%EF%BF%BD) decode
	// to the same rune; the order must still be one order, so the sign of
	// the same parameters is the same however the map iterates.
	params := map[string]any{"\xff": "1", "\ufffd": "1", "\xfe": "1", "ts": "1", "a": "x"}
	want := Sign(params, "s")
	for i := 0; i < 200; i++ {
		if got := Sign(params, "s"); got != want {
			t.Fatalf("sign %d differs: %s vs %s", i, got, want)
		}
	}
	pairs := [][2]string{{"\ufffd=1", "\xff=1"}, {"\xfe=1", "\xff=1"}, {"a", "a\xff"}}
	for _, p := range pairs {
		if !lessUTF16(p[0], p[1]) || lessUTF16(p[1], p[0]) {
			t.Errorf("want %q < %q exactly one way", p[0], p[1])
		}
	}
	if lessUTF16("a=1", "a=1") {
		t.Error("a string is not less than itself")
	}
}
