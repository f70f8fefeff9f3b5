package graph

import (
	"bytes"
	"io"

	"github.com/99designs/gqlgen/graphql"
)

// objectMarshaler is what the generated object functions return
// (graph/execrewrite rewrites their "return out"): out itself when the
// operation runs field middleware (gqlgen's path, kept whole, which
// TestDirectPathsAnswerAsGqlgenDoes compares with) or when the object has
// deferred fields (deferred: gqlgen's @defer bookkeeping is left exactly as
// it is), and otherwise an objectFields over the same collected fields and
// values, which writes the same bytes.
func (ec *executionContext) objectMarshaler(fields []graphql.CollectedField, out *graphql.FieldSet, deferred bool) graphql.Marshaler {
	if deferred || !ec.plainFields() {
		return out
	}
	return &objectFields{fields: fields, values: out.Values}
}

// objectFields writes an object as graphql.(*FieldSet).MarshalGQL
// (gqlgen v0.17.98, fieldset.go) does: {"alias":value,...} in the order of
// fields, a value whose alias an earlier field already wrote left out. It
// spares what that method spends on every object: a map of the aliases
// written, a copy of each field escaping through an iterator, and each key
// written through writeQuotedString over an io.Writer. Aliases are GraphQL
// names ([_A-Za-z][_0-9A-Za-z]*), so they never need escaping; a repeated
// alias (graphql.CollectFields merges fields by name, alias and compatible
// parent type, so one is rare) is found by comparing with the earlier ones.
type objectFields struct {
	fields []graphql.CollectedField
	values []graphql.Marshaler
}

func (o *objectFields) MarshalGQL(w io.Writer) {
	buf, ok := w.(*bytes.Buffer)
	if !ok {
		o.marshalTo(w)
		return
	}
	buf.WriteByte('{')
	for i := range o.fields {
		if repeatsAlias(o.fields, i) {
			continue
		}
		if i > 0 {
			buf.WriteByte(',')
		}
		buf.WriteByte('"')
		buf.WriteString(o.fields[i].Alias)
		buf.WriteString(`":`)
		o.values[i].MarshalGQL(buf)
	}
	buf.WriteByte('}')
}

// marshalTo is MarshalGQL for a writer other than a *bytes.Buffer.
func (o *objectFields) marshalTo(w io.Writer) {
	_, _ = io.WriteString(w, "{")
	for i := range o.fields {
		if repeatsAlias(o.fields, i) {
			continue
		}
		sep := `,"`
		if i == 0 {
			sep = `"`
		}
		_, _ = io.WriteString(w, sep)
		_, _ = io.WriteString(w, o.fields[i].Alias)
		_, _ = io.WriteString(w, `":`)
		o.values[i].MarshalGQL(w)
	}
	_, _ = io.WriteString(w, "}")
}

// repeatsAlias reports whether a field before fields[i] has its alias.
func repeatsAlias(fields []graphql.CollectedField, i int) bool {
	alias := fields[i].Alias
	for j := range i {
		if fields[j].Alias == alias {
			return true
		}
	}
	return false
}

// distinctAliases reports whether no two of fields share an alias.
func distinctAliases(fields []graphql.CollectedField) bool {
	for i := 1; i < len(fields); i++ {
		if repeatsAlias(fields, i) {
			return false
		}
	}
	return true
}

// renderedObject is an object rendered whole by a render function
// graph/execrewrite generates for an object type whose selected fields are
// all scalars read straight from the object: the bytes gqlgen's field set
// would have written for it.
type renderedObject []byte

func (r renderedObject) MarshalGQL(w io.Writer) { _, _ = w.Write(r) }

// renderScratch is the size of the stack buffer a render function renders
// into before copying the object to the heap; a larger object grows it.
const renderScratch = 512

// appendQuoted appends s as a JSON string exactly as gqlgen's
// writeQuotedString (graphql.MarshalString, graphql.MarshalID) writes it:
// tab, carriage return, newline, backslash and quote as \t \r \n \\ \",
// the other bytes below 0x20 as \u00XX with upper-case hex digits, and
// every other byte copied as it is (invalid UTF-8 too; an ASCII byte is
// never part of a multi-byte sequence, so deciding byte by byte is what
// gqlgen's rune loop decides).
func appendQuoted(b []byte, s string) []byte {
	const hex = "0123456789ABCDEF"
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x20 && c != '\\' && c != '"' {
			continue
		}
		b = append(b, s[start:i]...)
		switch c {
		case '\t':
			b = append(b, '\\', 't')
		case '\r':
			b = append(b, '\\', 'r')
		case '\n':
			b = append(b, '\\', 'n')
		case '\\', '"':
			b = append(b, '\\', c)
		default:
			b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xF])
		}
		start = i + 1
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// appendQuotedOrNull appends null for a nil s, as graphql.Null writes for
// a nullable String, and appendQuoted(*s) otherwise.
func appendQuotedOrNull(b []byte, s *string) []byte {
	if s == nil {
		return append(b, "null"...)
	}
	return appendQuoted(b, *s)
}

// appendKey appends the separator before the i-th field of an object
// (none before the first) and its key: "alias":.
func appendKey(b []byte, i int, alias string) []byte {
	if i > 0 {
		b = append(b, ',')
	}
	b = append(b, '"')
	b = append(b, alias...)
	return append(b, '"', ':')
}
