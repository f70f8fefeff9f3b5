package inputcheck

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/validator"
)

const sdl = `
scalar Int64
scalar Timestamp
scalar JSON
input In { name: String, at: Timestamp, ids: [ID!], nested: In, count: Int }
type Query { f(s: String, id: ID, n: Int, big: Int64, in: In, list: [Int64], j: JSON, e: E): Int }
enum E { A B }
`

// check runs the extension on query with JSON variables as a transport
// decodes them (numbers as json.Number).
func check(t *testing.T, schema *ast.Schema, query, vars string) string {
	t.Helper()
	doc, errs := gqlparser.LoadQueryWithRules(schema, query, nil)
	if errs != nil {
		t.Fatalf("%s: %v", query, errs)
	}
	raw := map[string]any{}
	if vars != "" {
		dec := json.NewDecoder(strings.NewReader(vars))
		dec.UseNumber()
		if err := dec.Decode(&raw); err != nil {
			t.Fatal(err)
		}
	}
	op := doc.Operations[0]
	coerced, err := validator.VariableValues(schema, op, raw)
	if err != nil {
		return "variables: " + err.Error()
	}
	oc := &graphql.OperationContext{Doc: doc, Operation: op, Variables: coerced}
	if gerr := New(schema).MutateOperationContext(context.Background(), oc); gerr != nil {
		if gerr.Extensions["code"] != "GRAPHQL_VALIDATION_FAILED" {
			t.Errorf("%s: code %v", query, gerr.Extensions["code"])
		}
		return gerr.Message
	}
	return ""
}

func TestInputCheck(t *testing.T) {
	schema := gqlparser.MustLoadSchema(&ast.Source{Input: sdl})
	cases := []struct {
		query, vars string
		want        string // a part of the error, "" = accepted
	}{
		{`{ f(s: "普通", id: "x", n: 5, big: 9223372036854775807, e: A) }`, ``, ""},
		{`{ f(s: "a\u0000b") }`, ``, "s: text must be valid UTF-8"},
		{"{ f(s: \"a\xffb\") }", ``, "text must be valid UTF-8"},
		{`{ f(in: {name: "ok", nested: {name: "\u0000"}}) }`, ``, "in.nested.name"},
		{`{ f(big: 9223372036854775808) }`, ``, "big: Int64 must be a 64-bit integer"},
		{`{ f(big: -9223372036854775809) }`, ``, "64-bit"},
		{`{ f(in: {at: 1.5}) }`, ``, "in.at: Timestamp must be a 64-bit integer"},
		{`{ f(in: {at: true}) }`, ``, "must be a 64-bit integer"},
		{`{ f(in: {at: "123"}) }`, ``, ""},
		{`{ f(in: {at: "soon"}) }`, ``, "must be a 64-bit integer"},
		{`{ f(list: [1, 9223372036854775808]) }`, ``, "64-bit"},
		{`{ f(list: 9223372036854775808) }`, ``, "64-bit"},
		{`query($s: String) { f(s: $s) }`, `{"s": "a\u0000"}`, "$s: text"},
		{`query($id: ID) { f(id: $id) }`, `{"id": "ok"}`, ""},
		{`query($in: In) { f(in: $in) }`, `{"in": {"ids": ["a", "b\u0000"]}}`, "$in.ids[1]"},
		{`query($in: In) { f(in: $in) }`, `{"in": {"at": 9223372036854775808}}`, "$in.at: Timestamp must be a 64-bit integer"},
		{`query($in: In) { f(in: $in) }`, `{"in": {"at": 1e400}}`, "64-bit"},
		{`query($in: In) { f(in: $in) }`, `{"in": {"at": "x"}}`, "must be a 64-bit integer"},
		{`query($in: In) { f(in: $in) }`, `{"in": {"at": {"a": 1}}}`, "must be a 64-bit integer"},
		{`query($in: In) { f(in: $in) }`, `{"in": {"at": [1]}}`, "$in.at: Timestamp must be a 64-bit integer"},
		{`query($in: In) { f(in: $in) }`, `{"in": {"at": 1620000000000, "count": 7}}`, ""},
		{`query($big: Int64) { f(big: $big) }`, `{"big": -9223372036854775808}`, ""},
		{`query($l: [Int64]) { f(list: $l) }`, `{"l": [1, "18446744073709551616"]}`, "$l[1]"},
		{`query($l: [Int64]) { f(list: $l) }`, `{"l": 18446744073709551616}`, "64-bit"},
		{`query($j: JSON) { f(j: $j) }`, `{"j": {"k": ["\u0000"]}}`, "$j.k[0]"},
		{`query($j: JSON) { f(j: $j) }`, `{"j": {"k": [99999999999999999999999]}}`, ""},
		{`query($n: Int) { f(n: $n) }`, `{"n": 2147483648}`, "$n: Int must be a 32-bit integer"},
		{`query($n: Int) { f(n: $n) }`, `{"n": -2147483648}`, ""},
	}
	for _, c := range cases {
		got := check(t, schema, c.query, c.vars)
		switch {
		case c.want == "" && got != "":
			t.Errorf("%s %s: refused: %s", c.query, c.vars, got)
		case c.want != "" && !strings.Contains(got, c.want):
			t.Errorf("%s %s: got %q, want an error with %q", c.query, c.vars, got, c.want)
		}
	}
}
