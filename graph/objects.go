package graph

import (
	"bytes"
	"io"

	"github.com/99designs/gqlgen/graphql"
)

// objectMarshaler is what the generated object functions return
// (graph/execrewrite rewrites their "return out"): out itself when the
// operation runs field middleware (gqlgen's path, kept whole) or when the
// object has deferred fields (deferred; their views and labels hang off the
// deferred group's field set, but the field set stays gqlgen's there to be
// safe), and otherwise an objectFields over the same collected fields and
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
