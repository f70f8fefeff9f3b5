package rest

import (
	"bytes"
	"encoding/json"
	"errors"
	"math/rand/v2"
	"strings"
	"testing"
)

// mapRewrite is the legacy rendering legacyBody replaced, kept as the
// oracle: pick the message and the result out of gqlgen's data, decode the
// result into maps, rewrite it and encode the envelope with encoding/json.
// Finding the root field, its message, the result and a connection's edges
// takes the first member of a key, as legacyBody does (gqlgen writes each
// key of an object once, so either is the only one); inside the result a
// repeated key keeps the last value, as decoding into a map does.
func mapRewrite(data []byte, shape legacyShape, vars map[string]any) ([]byte, error) {
	if t := bytes.TrimLeft(data, " \t\r\n"); !json.Valid(data) || len(t) == 0 || t[0] != '{' && t[0] != 'n' {
		return nil, errors.New("not a JSON object or null")
	}
	message := "Success"
	if root, ok := rawMember(data, shape.root); ok && shape.message {
		if m, ok := rawMember(root, "message"); ok {
			var text string
			if json.Unmarshal(m, &text) == nil && text != "" {
				message = text
			}
		}
	}
	var result any = map[string]any{}
	var raw []byte
	if shape.result != "" {
		result = nil
		found := true
		raw = data
		for _, k := range strings.Split(shape.result, ".") {
			if raw, found = rawMember(raw, k); !found {
				break
			}
		}
		if found {
			result = decodeNumbers(raw)
		} else {
			raw = nil
		}
	}
	if shape.list {
		result = listResult(raw, vars)
	}
	result = legacyValue(result)
	if result == nil {
		result = map[string]any{}
	}
	return marshalLegacy(envelope{Status: 1, Message: message, Result: result})
}

// rawMember is the value of the first member key of the JSON object raw
// (false when raw is not an object or has none).
func rawMember(raw []byte, key string) ([]byte, bool) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil, false
	}
	for dec.More() {
		k, err := dec.Token()
		if err != nil {
			return nil, false
		}
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, false
		}
		if k == key {
			return v, true
		}
	}
	return nil, false
}

// decodeNumbers decodes valid JSON keeping numbers as written.
func decodeNumbers(raw []byte) any {
	var v any
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	_ = dec.Decode(&v) // valid: checked by the caller
	return v
}

// listResult turns a connection (raw JSON, nil for none) into the legacy
// page: the page parameters echoed as the operation received them (the
// bound variables, never the raw request text: count=05 echoes 5), and
// each edge's node merged with the edge's own fields.
func listResult(conn []byte, vars map[string]any) any {
	pg := map[string]any{"count": vars["count"]}
	if last, ok := vars["lastId"]; ok {
		pg["lastId"] = last
	}
	list := []any{}
	if raw, ok := rawMember(conn, "edges"); ok {
		edges, _ := decodeNumbers(raw).([]any)
		for _, e := range edges {
			edge, ok := e.(map[string]any)
			if !ok {
				continue
			}
			// Where an edge and its node share a key the map rewrite took
			// whichever its map iteration met last; the oracle and
			// legacyBody take the node's.
			item := make(map[string]any, len(edge)+4)
			for k, v := range edge {
				if k != "node" {
					item[k] = v
				}
			}
			if node, ok := edge["node"].(map[string]any); ok {
				for nk, nv := range node {
					item[nk] = nv
				}
			}
			list = append(list, item)
		}
	}
	return map[string]any{"page": pg, "list": list}
}

// legacyValue applies the legacy serialisation: nulls omitted, booleans as 0/1.
func legacyValue(v any) any {
	switch x := v.(type) {
	case bool:
		if x {
			return 1
		}
		return 0
	case map[string]any:
		for k, e := range x {
			if e == nil {
				delete(x, k)
				continue
			}
			x[k] = legacyValue(e)
		}
		return x
	case []any:
		for i, e := range x {
			x[i] = legacyValue(e)
		}
		return x
	default:
		return v
	}
}

var legacyShapes = []legacyShape{
	{root: "r", message: true, result: "r.x"},
	{root: "r", message: true, result: "r.x", list: true},
	{root: "r", result: "r.x", list: true}, // no message selected: not looked for
	{root: "r", message: true, result: "r"},
	{root: "r", message: true},
	{root: "r"},
	{root: "q", message: true, result: "q.a.b", list: true},
	{root: "r", message: true, result: "r.x.y"},
}

var legacyVars = []map[string]any{
	{"count": 20},
	{"count": int64(5), "lastId": "1614:ab"},
	{"count": nil, "lastId": true},
	{},
}

func checkLegacyBody(t *testing.T, data []byte) {
	t.Helper()
	for _, shape := range legacyShapes {
		for _, vars := range legacyVars {
			want, werr := mapRewrite(data, shape, vars)
			got, gerr := legacyBody(nil, data, shape, vars)
			if werr != nil {
				if gerr == nil {
					t.Fatalf("data %s: map rewrite failed (%v), single pass did not", data, werr)
				}
				continue
			}
			if gerr != nil || !bytes.Equal(got, want) {
				t.Fatalf("data %s shape %+v vars %v:\n got  %s (%v)\n want %s", data, shape, vars, got, gerr, want)
			}
		}
	}
}

// legacyStrings exercise the string rule: escapes gqlgen writes, characters
// encoding/json escapes (U+2028, control bytes), invalid UTF-8, HTML.
var legacyStrings = []string{
	`""`, `"a"`, `"中文 <b>&amp;</b>"`, `"a\nb\t\"q\"\\"`, `"\u0001\u001f"`, "\"\u2028x\u2029\"",
	"\"\xff\xfebad\"", `"\ud83d\ude00 \ud800"`, `"\/slash"`, `"message"`, `"\b\f"`, `"😀"`,
}

// randomLegacyJSON writes a random value of depth at most d, shaped like
// gqlgen's output: objects with repeated, unsorted and special keys, edges
// with nodes, nulls, booleans and numbers.
func randomLegacyJSON(r *rand.Rand, b *strings.Builder, d int) {
	keys := []string{`"x"`, `"r"`, `"a"`, `"b"`, `"y"`, `"edges"`, `"node"`, `"cursor"`, `"message"`, `"zeta"`, `"Alpha"`, `"ké"`, `"k\u0065y"`, `"q"`, `"\u0072"`, "\"\xff\"", "\"\u2028\""}
	n := r.IntN(10)
	switch {
	case d <= 0 || n < 3:
		switch r.IntN(6) {
		case 0:
			b.WriteString("null")
		case 1:
			b.WriteString([]string{"true", "false"}[r.IntN(2)])
		case 2:
			b.WriteString([]string{"0", "-12", "3.5", "1e3", "12345678901234567890"}[r.IntN(5)])
		default:
			b.WriteString(legacyStrings[r.IntN(len(legacyStrings))])
		}
	case n < 5:
		b.WriteString("[")
		for i := range r.IntN(4) {
			if i > 0 {
				b.WriteString(",")
			}
			randomLegacyJSON(r, b, d-1)
		}
		b.WriteString("]")
	default:
		b.WriteString("{")
		for i := range r.IntN(6) {
			if i > 0 {
				b.WriteString(",")
			}
			b.WriteString(keys[r.IntN(len(keys))] + ":")
			randomLegacyJSON(r, b, d-1)
		}
		b.WriteString("}")
	}
}

// The single pass writes exactly what decoding into maps and encoding
// again wrote, over random gqlgen-shaped data.
func TestLegacyBodyMatchesMapRewrite(t *testing.T) {
	r := rand.New(rand.NewPCG(13, 2))
	for range 3000 {
		var b strings.Builder
		b.WriteString(`{"r":`)
		randomLegacyJSON(r, &b, 5)
		b.WriteString(`,"q":{"a":{"b":{"edges":`)
		randomLegacyJSON(r, &b, 4)
		b.WriteString(`}}}}`)
		checkLegacyBody(t, []byte(b.String()))
	}
	for _, data := range []string{
		`{"r":{"message":"","x":{"edges":[{"cursor":"c","node":{"b":1,"a":null,"cursor":"n"}},null,7,{"node":null,"z":false}]}}}`,
		`{"r":{"message":"已发送","x":null}}`,
		`{"r":null}`, `null`, `{}`, ` { "r" : { "x" : [ 1 , { "b" : true , "a" : [ ] } ] } } `,
		`{"r":{"x":{"b":1,"a":2,"b":null}}}`, `{"r":{"x":{"edges":{"node":1}}}}`,
		// Edges as gqlgen writes them (node last), and each way off that
		// path: a member after the node, two nodes, an escaped node key, a
		// node member named node, a node key shared with the edge.
		`{"r":{"x":{"edges":[{"c":1,"node":{"a":null,"b":2,"d":true}},{"c":2,"node":{"b":3}}]}}}`,
		`{"r":{"x":{"edges":[{"node":{"b":2},"a":1},{"c":1,"node":{"b":1},"node":{"z":0}}]}}}`,
		`{"r":{"x":{"edges":[{"c":1,"no\u0064e":{"b":2}},{"node":{"node":5,"c":4},"c":3}]}}}`,
		`{"r":{"x":{"edges":[{"c":1,"b":9,"node":{"b":2,"c":null}},{"c":1,"node":null}]}}}`,
		// Keys in order with nulls among them, and repeated keys in order.
		`{"r":{"x":{"a":null,"b":1,"c":null,"d":{"e":null,"f":[null]}}}}`, `{"r":{"x":{"a":1,"a":null,"b":2}}}`,
		// The same root read for its message, its result and its edges; a
		// repeated key on the way (never in gqlgen's data): the first.
		`{"r":{"message":"ok","x":{"edges":[]},"message":"later"},"r":{"x":{"edges":[{"node":{"a":1}}]}}}`,
		`{"r":{"x":{"edges":[{"node":{"a":1}}],"edges":[]},"message":"m"}}`,
	} {
		checkLegacyBody(t, []byte(data))
	}
}

// FuzzLegacyBody compares the single pass with the map rewrite on any
// valid JSON.
func FuzzLegacyBody(f *testing.F) {
	f.Add([]byte(`{"r":{"message":"m","x":{"edges":[{"cursor":"c","node":{"b":true,"a":null}}]}}}`))
	f.Add([]byte(`{"r":{"x":"\u2028\ud800"}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		if !json.Valid(data) {
			return
		}
		checkLegacyBody(t, data)
	})
}

// feedData is a legacy room feed result shaped like gqlgen's: 20 rooms with
// club, creator and 6 members, in the operation's (unsorted) field order.
func feedData() []byte {
	var b strings.Builder
	b.WriteString(`{"r":{"x":{"edges":[`)
	for i := range 20 {
		if i > 0 {
			b.WriteString(",")
		}
		b.WriteString(`{"sequenceId":"1764547200000:0123456789abcdef0123456789abcdef","node":{"roomId":"0123456789abcdef0123456789abcdef","name":"周末读书会 <第三期>","uid":"fedcba9876543210fedcba9876543210","inviteOnly":false,"closed":false,"createTime":1764547200000,"memberTotal":6,"club":{"clubId":"00112233445566778899aabbccddeeff","name":"读书","cover":"https://cdn.example.com/c.jpg","memberTotal":39,"joined":true,"desc":null},"creator":{"uid":"fedcba9876543210fedcba9876543210","nickname":"小王","avatar":"https://cdn.example.com/a.jpg","bio":"line one\nline two"},"members":[`)
		for j := range 6 {
			if j > 0 {
				b.WriteString(",")
			}
			b.WriteString(`{"uid":"aabbccddeeff00112233445566778899","nickname":"成员","avatar":"https://cdn.example.com/m.jpg","bio":null,"blocked":false,"sendCard":true,"cardTotal":3,"allowLive":true,"role":2}`)
		}
		b.WriteString(`]}}`)
	}
	b.WriteString(`]}}}`)
	return []byte(b.String())
}

func TestLegacyBodyFeed(t *testing.T) { checkLegacyBody(t, feedData()) }

// BenchmarkLegacyEnvelope compares the single pass with the map rewrite it
// replaced on a 20-room feed.
func BenchmarkLegacyEnvelope(b *testing.B) {
	// RoomList: no message selected.
	data, shape, vars := feedData(), legacyShape{root: "r", result: "r.x", list: true}, map[string]any{"count": 20}
	b.Run("single-pass", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(data)))
		var buf []byte
		for b.Loop() {
			var err error
			if buf, err = legacyBody(buf[:0], data, shape, vars); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("map-rewrite", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(data)))
		for b.Loop() {
			if _, err := mapRewrite(data, shape, vars); err != nil {
				b.Fatal(err)
			}
		}
	})
}
