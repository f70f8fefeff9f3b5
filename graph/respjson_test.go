package graph

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// randomJSON writes a random valid JSON value with the bytes json.Marshal
// treats specially in a RawMessage: whitespace between tokens, HTML
// characters, U+2028/U+2029, escapes (\" and \\ before a quote).
func randomJSON(r *rand.Rand, b *strings.Builder, d int) {
	ws := []string{"", "", " ", "\n\t", "\r "}
	b.WriteString(ws[r.IntN(len(ws))])
	switch n := r.IntN(10); {
	case d <= 0 || n < 4:
		atoms := []string{"null", "true", "1.5e3", "-0", `""`, `"<a href=\"x\">&amp;</a>"`, "\"\u2028\u2029 \xe2\x80\"",
			`"\\"`, `"a\\\"b"`, `"中文 😀"`, `"\u003c\n"`, `" { } [ ] , : "`}
		b.WriteString(atoms[r.IntN(len(atoms))])
	case n < 7:
		b.WriteString("[")
		for i := range r.IntN(4) {
			if i > 0 {
				b.WriteString(",")
			}
			randomJSON(r, b, d-1)
		}
		b.WriteString("]")
	default:
		b.WriteString("{")
		for i := range r.IntN(4) {
			if i > 0 {
				b.WriteString(",")
			}
			b.WriteString([]string{`"a"`, `"<k>"`, `"k&"`, `"data"`}[r.IntN(4)] + ws[r.IntN(len(ws))] + ":")
			randomJSON(r, b, d-1)
		}
		b.WriteString("}")
	}
	b.WriteString(ws[r.IntN(len(ws))])
}

// appendResponse writes what gqlgen's json.Marshal of the response wrote.
func TestAppendResponseMatchesMarshal(t *testing.T) {
	r := rand.New(rand.NewPCG(13, 2))
	yes := true
	for i := range 5000 {
		var b strings.Builder
		randomJSON(r, &b, 5)
		resp := &graphql.Response{Data: json.RawMessage(b.String())}
		if i%7 == 0 {
			resp.Data = nil
		}
		if i%3 == 0 {
			resp.Errors = gqlerror.List{{Message: "bad <input> & \u2028", Path: ast.Path{ast.PathName("a"), ast.PathIndex(1)},
				Extensions: map[string]any{"code": "BAD_USER_INPUT", "data": nil}}}
		}
		if i%5 == 0 {
			resp.Extensions = map[string]any{"cost": 3, "<x>": "y"}
		}
		if i%11 == 0 {
			resp.Label, resp.Path, resp.HasNext = "l<", ast.Path{ast.PathName("x")}, &yes
		}
		want, err := json.Marshal(resp)
		if err != nil {
			t.Fatal(err)
		}
		got, err := appendResponse(nil, resp)
		if err != nil || !bytes.Equal(got, want) {
			t.Fatalf("data %q:\n got  %s (%v)\n want %s", resp.Data, got, err, want)
		}
	}
}

// BenchmarkResponseWrite compares appendResponse with json.Marshal on a
// 50 KB response.
func BenchmarkResponseWrite(b *testing.B) {
	var sb strings.Builder
	sb.WriteString(`{"roomFeed":{"edges":[`)
	for i := range 120 {
		if i > 0 {
			sb.WriteString(",")
		}
		sb.WriteString(`{"cursor":"MTc2NDU0NzIwMDAwMDowMTIz","node":{"room":{"roomId":"0123456789abcdef0123456789abcdef","name":"周末读书会","memberTotal":6,"creator":{"uid":"fedcba9876543210fedcba9876543210","nickname":"小王"},"club":{"clubId":"00112233445566778899aabbccddeeff","name":"读书"}}}}`)
	}
	sb.WriteString(`]}}`)
	resp := &graphql.Response{Data: json.RawMessage(sb.String())}
	b.Run("appendResponse", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(resp.Data)))
		var buf []byte
		for b.Loop() {
			buf, _ = appendResponse(buf[:0], resp)
		}
	})
	b.Run("json.Marshal", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(resp.Data)))
		for b.Loop() {
			_, _ = json.Marshal(resp)
		}
	})
}
