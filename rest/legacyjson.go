package rest

import (
	"bytes"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"sync"
	"unicode/utf8"
)

// errMalformed is an operation result that is not the JSON gqlgen writes.
var errMalformed = errors.New("malformed operation result")

// legacyShape says which part of an operation's data a route answers with.
type legacyShape struct {
	root    string // response key of the root field
	message bool   // the root field selects "message", the envelope's (else "Success", not looked for)
	result  string // dotted path of the result in data ("" = an empty object)
	list    bool   // the result is a connection, answered as a legacy page
}

// legacyBody renders the success envelope of an operation's data in one
// pass over gqlgen's JSON, without decoding it into maps:
//
//	{"status":1,"message":M,"result":R}
//
// M is data.<root>.message when it is a non-empty string, else "Success".
// R is the value at the result path with the legacy serialisation: members
// whose value is null omitted, booleans as 0/1, object keys sorted, strings
// in encoding/json's escaping without HTML escapes. A missing or null
// result is {}. A list result is {"list":[…],"page":P}: each edge's node
// members merged with the edge's own members (the node key itself
// dropped), and P the page echo (see pageEcho). The output is the bytes the
// decode-to-maps-and-re-encode it replaces wrote (pinned by
// TestLegacyBodyMatchesMapRewrite).
func legacyBody(dst []byte, data []byte, shape legacyShape, vars map[string]any) ([]byte, error) {
	w := legacyWriters.Get().(*legacyWriter)
	defer func() {
		w.in, w.out, w.members, w.scratch, w.found, w.scans = nil, nil, w.members[:0], w.scratch[:0], w.found[:0], w.scans[:0]
		legacyWriters.Put(w)
	}()
	w.in, w.out = data, dst
	i := w.ws(0)
	if i >= len(data) || data[i] != '{' && data[i] != 'n' {
		return nil, errMalformed // data is an object or null
	}
	top := span{i, len(data)} // member reads only where a value starts

	w.out = append(w.out, `{"status":1,"message":`...)
	message := false
	if m, ok := w.messageAt(top, shape); ok && data[m.from] == '"' {
		end, err := w.strEnd(m.from)
		if err != nil {
			return nil, err
		}
		if end-m.from > 2 {
			if err := w.str(m.from, end); err != nil {
				return nil, err
			}
			message = true
		}
	}
	if !message {
		w.out = append(w.out, `"Success"`...)
	}
	w.out = append(w.out, `,"result":`...)

	result, found := span{}, false
	if shape.result != "" {
		result, found = w.path(top, strings.Split(shape.result, ".")...)
		found = found && data[result.from] != 'n'
	}
	var err error
	switch {
	case shape.list:
		err = w.page(result, found, vars)
	case found:
		_, err = w.value(result.from)
	default:
		w.out = append(w.out, "{}"...)
	}
	if err != nil {
		return nil, err
	}
	return append(w.out, '}'), nil
}

// span is a JSON value in the input: in[from:to].
type span struct{ from, to int }

// legacyMember is one rendered object member: out[from:to] holds
// "key":value; a null member renders nothing but still replaces an earlier
// member of the same key (the last one wins, as in a decoded map).
type legacyMember struct {
	key      []byte
	from, to int
	null     bool
}

type legacyWriter struct {
	in      []byte
	out     []byte
	members []legacyMember // a stack: each open object owns a tail
	scratch []byte
	node    int // where the last edge's node value starts (-1: none)
	// found holds the members of the objects member has read so far, in
	// order, and scans where reading each of those objects stopped.
	found []foundMember
	scans []memberScan
}

// foundMember is a member of the object starting at in[object].
type foundMember struct {
	object int
	key    string
	value  span
}

var legacyWriters = sync.Pool{New: func() any { return new(legacyWriter) }}

func (w *legacyWriter) ws(i int) int {
	for i < len(w.in) {
		switch w.in[i] {
		case ' ', '\t', '\n', '\r':
			i++
		default:
			return i
		}
	}
	return i
}

// skip returns the end of the value starting at i.
func (w *legacyWriter) skip(i int) (int, error) {
	in := w.in
	if i >= len(in) {
		return 0, errMalformed
	}
	switch in[i] {
	case '"':
		return w.strEnd(i)
	case '{', '[':
		depth := 0
		for j := i; j < len(in); j++ {
			c := in[j]
			if !structural[c] {
				continue
			}
			switch c {
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return j + 1, nil
				}
			case '"': // to the closing quote; a backslash escapes the next byte
				for j++; j < len(in) && in[j] != '"'; j++ {
					if in[j] == '\\' {
						j++
					}
				}
			}
		}
		return 0, errMalformed
	default: // number, true, false, null
		j := i
		for j < len(in) {
			switch in[j] {
			case ',', '}', ']', ' ', '\t', '\n', '\r':
				return j, nil
			}
			j++
		}
		return j, nil
	}
}

// structural marks the bytes skip acts on inside an array or object.
var structural = [256]bool{'{': true, '[': true, '}': true, ']': true, '"': true}

// strEnd returns the end of the string starting at i (its opening quote).
func (w *legacyWriter) strEnd(i int) (int, error) {
	in := w.in
	for j := i + 1; j < len(in); {
		q := bytes.IndexByte(in[j:], '"')
		if q < 0 {
			break
		}
		j += q
		k := j // an odd run of backslashes escapes the quote
		for k > i+1 && in[k-1] == '\\' {
			k--
		}
		if (j-k)%2 == 0 {
			return j + 1, nil
		}
		j++
	}
	return 0, errMalformed
}

// eachMember calls f for each member of the object at at (none for
// another value) with the member's key (raw: its text is what
// encoding/json writes, else it must be decoded) and where its value
// starts; f returns where the value ends. eachMember returns where the
// value at at ends.
func (w *legacyWriter) eachMember(at int, f func(key []byte, raw bool, at int) (int, error)) (int, error) {
	in := w.in
	if in[at] != '{' {
		return w.skip(at)
	}
	i := w.ws(at + 1)
	if i < len(in) && in[i] == '}' {
		return i + 1, nil
	}
	for i < len(in) {
		key, at, err := w.memberAt(i)
		if err != nil {
			return 0, err
		}
		if i, err = f(key, plain(key, false), at); err != nil {
			return 0, err
		}
		i = w.ws(i)
		if i < len(in) && in[i] == '}' {
			return i + 1, nil
		}
		if i >= len(in) || in[i] != ',' {
			return 0, errMalformed
		}
		i = w.ws(i + 1)
	}
	return 0, errMalformed
}

// member finds the member key of object v (ok is false when v is not an
// object or has no such member): the first one with that key, which in
// the data gqlgen writes is the only one (an object has each response key
// once). Members are read lazily and remembered (found, scans): looking up
// another key of the same object goes on from where the last lookup
// stopped, so that the envelope's lookups (the root field, its message,
// its edges) never read the value they lead to, nor a member twice. A
// found value's span has no end (to is -1): callers read from its start.
func (w *legacyWriter) member(v span, key string) (found span, ok bool) {
	if w.in[v.from] != '{' {
		return span{}, false
	}
	for i := range w.found {
		if f := &w.found[i]; f.object == v.from && f.key == key {
			return f.value, true
		}
	}
	s := w.scanOf(v.from)
	for {
		k, raw, at, more := w.nextMember(s)
		if !more {
			return span{}, false
		}
		name := string(k)
		if !raw {
			name = unquoteKey(k)
		}
		w.found = append(w.found, foundMember{v.from, name, span{at, -1}})
		if name == key {
			return span{at, -1}, true
		}
	}
}

// memberScan is where reading the members of the object at in[object]
// stopped: next is where the next member's key starts, or, while pending,
// where the value of the member read last starts (not yet skipped).
type memberScan struct {
	object, next  int
	pending, done bool
}

// scanOf returns the scan of the object at in[at], started if new.
func (w *legacyWriter) scanOf(at int) *memberScan {
	for i := range w.scans {
		if w.scans[i].object == at {
			return &w.scans[i]
		}
	}
	i := w.ws(at + 1)
	w.scans = append(w.scans, memberScan{object: at, next: i, done: i >= len(w.in) || w.in[i] == '}'})
	return &w.scans[len(w.scans)-1]
}

// nextMember reads the next member of s's object: its key (raw as in
// eachMember) and where its value starts; more is false at the object's
// end or on malformed input, which the rendering reports.
func (w *legacyWriter) nextMember(s *memberScan) (key []byte, raw bool, at int, more bool) {
	in := w.in
	if s.done {
		return nil, false, 0, false
	}
	i := s.next
	if s.pending {
		end, err := w.skip(i)
		if err != nil {
			s.done = true
			return nil, false, 0, false
		}
		i = w.ws(end)
		if i >= len(in) || in[i] != ',' { // '}' ends the object
			s.done = true
			return nil, false, 0, false
		}
		i = w.ws(i + 1)
	}
	key, at, err := w.memberAt(i)
	if err != nil {
		s.done = true
		return nil, false, 0, false
	}
	s.next, s.pending = at, true
	return key, plain(key, false), at, true
}

// memberAt reads the member whose key starts at in[i]: its key's text and
// where its value starts.
func (w *legacyWriter) memberAt(i int) (key []byte, at int, err error) {
	in := w.in
	if i >= len(in) || in[i] != '"' {
		return nil, 0, errMalformed
	}
	ke, err := w.strEnd(i)
	if err != nil {
		return nil, 0, err
	}
	at = w.ws(ke)
	if at >= len(in) || in[at] != ':' {
		return nil, 0, errMalformed
	}
	if at = w.ws(at + 1); at >= len(in) {
		return nil, 0, errMalformed
	}
	return in[i+1 : ke-1], at, nil
}

// messageAt finds the root field's message in data (top), when the
// operation selects one.
func (w *legacyWriter) messageAt(top span, shape legacyShape) (span, bool) {
	if !shape.message {
		return span{}, false
	}
	return w.path(top, shape.root, "message")
}

// path follows keys through nested objects from v.
func (w *legacyWriter) path(v span, keys ...string) (span, bool) {
	for _, k := range keys {
		var ok bool
		if v, ok = w.member(v, k); !ok {
			return v, false
		}
	}
	return v, true
}

func unquoteKey(k []byte) string {
	var s string
	q := make([]byte, 0, len(k)+2)
	q = append(append(append(q, '"'), k...), '"')
	_ = json.Unmarshal(q, &s)
	return s
}

// value renders the value at i and returns its end.
func (w *legacyWriter) value(i int) (int, error) {
	in := w.in
	switch in[i] {
	case '{':
		base, start := len(w.members), len(w.out)
		w.out = append(w.out, '{')
		end, err := w.objectMembers(i, false)
		if err != nil {
			return 0, err
		}
		w.closeObject(base, start)
		return end, nil
	case '[':
		w.out = append(w.out, '[')
		j := w.ws(i + 1)
		if j < len(in) && in[j] == ']' {
			w.out = append(w.out, ']')
			return j + 1, nil
		}
		for n := 0; j < len(in); n++ {
			if n > 0 {
				w.out = append(w.out, ',')
			}
			e, err := w.value(j)
			if err != nil {
				return 0, err
			}
			j = w.ws(e)
			if j < len(in) && in[j] == ']' {
				w.out = append(w.out, ']')
				return j + 1, nil
			}
			if j >= len(in) || in[j] != ',' {
				return 0, errMalformed
			}
			j = w.ws(j + 1)
		}
		return 0, errMalformed
	case '"':
		end, err := w.strEnd(i)
		if err != nil {
			return 0, err
		}
		return end, w.str(i, end)
	case 't':
		w.out = append(w.out, '1')
		return i + 4, nil
	case 'f':
		w.out = append(w.out, '0')
		return i + 5, nil
	default: // number or null (a null in an array stays)
		end, err := w.skip(i)
		if err != nil {
			return 0, err
		}
		w.out = append(w.out, in[i:end]...)
		return end, nil
	}
}

// objectMembers renders the members of object v onto the member stack;
// skipNode leaves out a member named node (an edge's).
func (w *legacyWriter) objectMembers(at int, skipNode bool) (int, error) {
	return w.eachMember(at, func(k []byte, raw bool, at int) (int, error) {
		return w.objectMember(k, raw, at, skipNode)
	})
}

// objectMember renders the member k (raw: as eachMember says) whose value
// starts at at onto the member stack, and returns where the value ends.
func (w *legacyWriter) objectMember(k []byte, raw bool, at int, skipNode bool) (int, error) {
	key := k
	if !raw {
		key = []byte(unquoteKey(k))
	}
	if skipNode && string(key) == "node" {
		w.node = at // the last one, as a decoded map keeps
		return w.skip(at)
	}
	if w.in[at] == 'n' {
		w.members = append(w.members, legacyMember{key: key, null: true})
		return w.skip(at)
	}
	if w.out[len(w.out)-1] != '{' {
		w.out = append(w.out, ',')
	}
	from := len(w.out)
	if raw {
		w.out = append(w.out, '"')
		w.out = append(w.out, k...)
		w.out = append(w.out, '"')
	} else if err := w.strValue(string(key)); err != nil {
		return 0, err
	}
	w.out = append(w.out, ':')
	end, err := w.value(at)
	if err != nil {
		return 0, err
	}
	w.members = append(w.members, legacyMember{key: key, from: from, to: len(w.out)})
	return end, nil
}

// closeObject ends the object opened at out[start] whose members are
// members[base:]: sorted by key, the last of equal keys kept, nulls gone.
func (w *legacyWriter) closeObject(base, start int) {
	ms := w.members[base:]
	ordered := true
	for k := range ms {
		// Null members wrote nothing: with keys strictly in order (no
		// repeats to resolve) the output already is the object.
		if k > 0 && bytes.Compare(ms[k-1].key, ms[k].key) >= 0 {
			ordered = false
			break
		}
	}
	if !ordered {
		slices.SortStableFunc(ms, func(a, b legacyMember) int { return bytes.Compare(a.key, b.key) })
		w.scratch = append(w.scratch[:0], w.out[start:]...)
		w.out = append(w.out[:start], '{')
		for k := range ms {
			if ms[k].null || k+1 < len(ms) && bytes.Equal(ms[k].key, ms[k+1].key) {
				continue
			}
			if w.out[len(w.out)-1] != '{' {
				w.out = append(w.out, ',')
			}
			w.out = append(w.out, w.scratch[ms[k].from-start:ms[k].to-start]...)
		}
	}
	w.out = append(w.out, '}')
	w.members = w.members[:base]
}

// page renders a connection as the legacy page {"list":[…],"page":P}.
func (w *legacyWriter) page(conn span, found bool, vars map[string]any) error {
	w.out = append(w.out, `{"list":[`...)
	var edges span
	hasEdges := false
	if found {
		edges, hasEdges = w.member(conn, "edges")
	}
	if hasEdges && w.in[edges.from] == '[' {
		in := w.in
		j := w.ws(edges.from + 1)
		n := 0
		for j < len(in) && in[j] != ']' {
			var end int
			var err error
			if in[j] != '{' { // not an object: no item
				end, err = w.skip(j)
			} else {
				if n > 0 {
					w.out = append(w.out, ',')
				}
				n++
				if end, err = w.edge(j); err != nil {
					return err
				}
			}
			if err != nil {
				return err
			}
			j = w.ws(end)
			if j < len(in) && in[j] == ',' {
				j = w.ws(j + 1)
			}
		}
	}
	w.out = append(w.out, `],"page":`...)
	echo, err := marshalLegacy(pageEcho(vars))
	if err != nil {
		return err
	}
	w.out = append(w.out, echo...)
	w.out = append(w.out, '}')
	return nil
}

// edge renders the edge object at j as a legacy list item: its node's
// members merged with its own (the node key itself dropped), the node's
// winning over the edge's of the same key. gqlgen writes the node last
// (the legacy operations select it last) and once, so the node's members
// are rendered where it stands; an edge with members after its node, or
// two nodes, is rendered again the general way, every edge member first.
func (w *legacyWriter) edge(j int) (int, error) {
	base, start := len(w.members), len(w.out)
	w.out = append(w.out, '{')
	nodes, after := 0, false
	end, err := w.eachMember(j, func(k []byte, raw bool, at int) (int, error) {
		if nodes > 0 {
			after = true
		}
		if raw && string(k) == "node" {
			nodes++
			if w.in[at] != '{' {
				return w.skip(at)
			}
			return w.objectMembers(at, false)
		}
		return w.objectMember(k, raw, at, false)
	})
	if err != nil {
		return 0, err
	}
	if after || nodes > 1 || !fastKeys(w.members[base:]) {
		w.out, w.members = w.out[:start+1], w.members[:base]
		w.node = -1
		if end, err = w.objectMembers(j, true); err != nil {
			return 0, err
		}
		if w.node >= 0 && w.in[w.node] == '{' {
			if _, err := w.objectMembers(w.node, false); err != nil {
				return 0, err
			}
		}
	}
	w.closeObject(base, start)
	return end, nil
}

// fastKeys: the rendered members contain no key "node" (an escaped key
// spelling node, which the general way drops too).
func fastKeys(ms []legacyMember) bool {
	for _, m := range ms {
		if string(m.key) == "node" {
			return false
		}
	}
	return true
}

// pageEcho is the page part of a legacy list: the page parameters echoed as
// the operation received them (the bound variables, never the raw request
// text: count=05 echoes 5), nulls omitted, booleans as 0/1.
func pageEcho(vars map[string]any) map[string]any {
	pg := map[string]any{}
	for _, k := range []string{"count", "lastId"} {
		if v, ok := vars[k]; ok && v != nil {
			if b, ok := v.(bool); ok {
				v = 0
				if b {
					v = 1
				}
			}
			pg[k] = v
		}
	}
	return pg
}

// str renders the string token in[from:to] as encoding/json writes its
// decoded text: copied when it already is that (no escapes, control bytes,
// invalid UTF-8, U+2028 or U+2029), else decoded and encoded again.
func (w *legacyWriter) str(from, to int) error {
	if plain(w.in[from+1:to-1], true) {
		w.out = append(w.out, w.in[from:to]...)
		return nil
	}
	var text string
	if err := json.Unmarshal(w.in[from:to], &text); err != nil {
		return errMalformed
	}
	return w.strValue(text)
}

// plain reports whether the text of a string token is what encoding/json
// writes for its decoded value: no control bytes, invalid UTF-8, U+2028 or
// U+2029, and no escapes but, when escapes is set, \", \\, \n, \r and \t
// (the ones both gqlgen and encoding/json write; a key's text is also its
// sort key, so it takes none).
func plain(s []byte, escapes bool) bool {
	ascii := true
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '\\':
			if !escapes || i+1 == len(s) {
				return false
			}
			switch s[i+1] {
			case '"', '\\', 'n', 'r', 't':
				i++
			default:
				return false
			}
		case c < 0x20:
			return false
		case c >= utf8.RuneSelf:
			ascii = false
		}
	}
	return ascii || utf8.Valid(s) && !bytes.Contains(s, []byte("\u2028")) && !bytes.Contains(s, []byte("\u2029"))
}

// strValue renders s as encoding/json does without HTML escaping.
func (w *legacyWriter) strValue(s string) error {
	b, err := marshalLegacy(s)
	if err != nil {
		return err
	}
	w.out = append(w.out, b...)
	return nil
}

// marshalLegacy is json.Marshal without HTML escaping.
func marshalLegacy(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimRight(buf.Bytes(), "\n"), nil
}
