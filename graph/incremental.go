package graph

import (
	"context"
	"net/http"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// @defer is delivered incrementally only where the client asked for it: a
// POST accepting multipart/mixed (Apollo Client, GraphiQL, the incremental
// delivery RFC of graphql-over-http) gets the initial payload and then the
// deferred parts. Every other transport (plain JSON, GET, WebSocket) can
// carry one result only, so there @defer is ignored and the deferred fields
// come inline in that result — the choice the @defer proposal leaves to the
// server — instead of a first payload with hasNext and nothing after it.

// incrementalKey marks the context of a request served by multipartMixed.
type incrementalKey struct{}

// multipartMixed is gqlgen's multipart/mixed transport, marking its
// requests as able to receive incremental payloads.
type multipartMixed struct{ transport.MultipartMixed }

func (t multipartMixed) Do(w http.ResponseWriter, r *http.Request, exec graphql.GraphExecutor) {
	// A request that does not run (unparsable, invalid, undecodable) is
	// answered as over the JSON transport: errors only, no data entry.
	rw := &notRunWriter{ResponseWriter: w, r: r}
	t.MultipartMixed.Do(rw, r.WithContext(context.WithValue(r.Context(), incrementalKey{}, true)),
		notRunExecutor{GraphExecutor: exec, w: rw, streams: true})
}

// inlineDefer removes @defer from operations whose transport delivers a
// single result.
type inlineDefer struct{}

var (
	_ graphql.HandlerExtension        = inlineDefer{}
	_ graphql.OperationContextMutator = inlineDefer{}
)

func (inlineDefer) ExtensionName() string                   { return "InlineDefer" }
func (inlineDefer) Validate(graphql.ExecutableSchema) error { return nil }
func (inlineDefer) MutateOperationContext(ctx context.Context, rc *graphql.OperationContext) *gqlerror.Error {
	if ok, _ := ctx.Value(incrementalKey{}).(bool); ok || !strings.Contains(rc.RawQuery, "defer") || rc.Doc == nil {
		return nil
	}
	// The parsed document is shared through the query cache: copy what
	// changes, never edit it.
	doc := *rc.Doc
	doc.Operations = make(ast.OperationList, len(rc.Doc.Operations))
	for i, op := range rc.Doc.Operations {
		cp := *op
		cp.SelectionSet, _ = withoutDefer(op.SelectionSet)
		doc.Operations[i] = &cp
		if op == rc.Operation {
			rc.Operation = &cp
		}
	}
	doc.Fragments = make(ast.FragmentDefinitionList, len(rc.Doc.Fragments))
	for i, f := range rc.Doc.Fragments {
		cp := *f
		cp.SelectionSet, _ = withoutDefer(f.SelectionSet)
		doc.Fragments[i] = &cp
	}
	rc.Doc = &doc
	return nil
}

// withoutDefer returns set with every @defer removed, sharing the parts
// that have none; changed reports whether anything was removed.
func withoutDefer(set ast.SelectionSet) (_ ast.SelectionSet, changed bool) {
	out := set
	for i, sel := range set {
		var repl ast.Selection
		switch s := sel.(type) {
		case *ast.Field:
			if sub, ok := withoutDefer(s.SelectionSet); ok {
				cp := *s
				cp.SelectionSet = sub
				repl = &cp
			}
		case *ast.InlineFragment:
			sub, subChanged := withoutDefer(s.SelectionSet)
			dirs, dirChanged := dropDefer(s.Directives)
			if subChanged || dirChanged {
				cp := *s
				cp.SelectionSet, cp.Directives = sub, dirs
				repl = &cp
			}
		case *ast.FragmentSpread:
			if dirs, ok := dropDefer(s.Directives); ok {
				cp := *s
				cp.Directives = dirs
				repl = &cp
			}
		}
		if repl != nil {
			if !changed {
				out = append(ast.SelectionSet(nil), set...)
				changed = true
			}
			out[i] = repl
		}
	}
	return out, changed
}

func dropDefer(dirs ast.DirectiveList) (ast.DirectiveList, bool) {
	if dirs.ForName("defer") == nil {
		return dirs, false
	}
	out := make(ast.DirectiveList, 0, len(dirs)-1)
	for _, d := range dirs {
		if d.Name != "defer" {
			out = append(out, d)
		}
	}
	return out, true
}
