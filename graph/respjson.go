package graph

import (
	"encoding/json"
	"sync"

	"github.com/99designs/gqlgen/graphql"
)

// appendResponse appends resp as json.Marshal writes it, which is what
// gqlgen's HTTP transports send, without running encoding/json over the
// data: json.Marshal validates and compacts a json.RawMessage with its
// scanner, while data is gqlgen's own rendering, valid by construction,
// so copying it with appendCompactHTML gives the same bytes. Only the
// small members (errors, extensions…) go through encoding/json.
func appendResponse(dst []byte, resp *graphql.Response) ([]byte, error) {
	dst = append(dst, '{')
	if len(resp.Errors) > 0 {
		b, err := json.Marshal(resp.Errors)
		if err != nil {
			return nil, err
		}
		dst = append(append(dst, `"errors":`...), b...)
		dst = append(dst, ',')
	}
	dst = append(dst, `"data":`...)
	if len(resp.Data) == 0 {
		dst = append(dst, "null"...)
	} else {
		dst = appendCompactHTML(dst, resp.Data)
	}
	for _, m := range []struct {
		name string
		v    any
		set  bool
	}{
		{"label", resp.Label, resp.Label != ""},
		{"path", resp.Path, len(resp.Path) > 0},
		{"hasNext", resp.HasNext, resp.HasNext != nil},
		{"extensions", resp.Extensions, len(resp.Extensions) > 0},
	} {
		if !m.set {
			continue
		}
		b, err := json.Marshal(m.v)
		if err != nil {
			return nil, err
		}
		dst = append(append(append(dst, `,"`...), m.name...), `":`...)
		dst = append(dst, b...)
	}
	return append(dst, '}'), nil
}

// appendCompactHTML appends the valid JSON src as json.Compact with HTML
// escaping (what json.Marshal does to a RawMessage) would: whitespace
// outside strings removed; <, >, & and U+2028, U+2029 escaped.
func appendCompactHTML(dst, src []byte) []byte {
	const hex = "0123456789abcdef"
	start := 0
	inString := false
	for i := 0; i < len(src); i++ {
		c := src[i]
		if !compactSpecial[c] {
			continue // most bytes: one table load instead of the cases below
		}
		switch {
		case c == '"':
			inString = !inString
		case c == '\\' && inString:
			i++ // the escaped byte never ends the string
		case c == '<' || c == '>' || c == '&':
			dst = append(dst, src[start:i]...)
			dst = append(dst, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xF])
			start = i + 1
		case c == 0xE2 && i+2 < len(src) && src[i+1] == 0x80 && src[i+2]&^1 == 0xA8:
			dst = append(dst, src[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hex[src[i+2]&0xF])
			i += 2
			start = i + 1
		case !inString && (c == ' ' || c == '\t' || c == '\n' || c == '\r'):
			dst = append(dst, src[start:i]...)
			start = i + 1
		}
	}
	return append(dst, src[start:]...)
}

// compactSpecial marks the bytes appendCompactHTML may have to act on.
var compactSpecial = [256]bool{'"': true, '\\': true, '<': true, '>': true, '&': true, 0xE2: true,
	' ': true, '\t': true, '\n': true, '\r': true}

// responseBuffers hold rendered responses while they are written.
var responseBuffers = sync.Pool{New: func() any { return new([]byte) }}
