package graph

import (
	"context"
	"slices"
	"sync"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"

	"chaoqer/graph/club"
	"chaoqer/graph/user"
)

// selectionAt is the selection of the nested field path below the current
// field (by schema names, through aliases and fragments), and whether the
// operation reaches that path at all. The last level keeps only the
// fragments that apply to one of the types in satisfies (all when empty).
// Callers only read the fields returned. Under withSelections it reads the
// memo of the current field; otherwise it walks the selection afresh.
func selectionAt(ctx context.Context, satisfies []string, path ...string) ([]graphql.CollectedField, bool) {
	if m := selectionsOf(ctx); m != nil {
		return m.at(satisfies, path)
	}
	return walkSelection(ctx, satisfies, path...)
}

// walkSelection is selectionAt without the memo: every level collected
// again from the current field.
func walkSelection(ctx context.Context, satisfies []string, path ...string) ([]graphql.CollectedField, bool) {
	oc := graphql.GetOperationContext(ctx)
	if len(path) == 0 {
		fc := graphql.GetFieldContext(ctx)
		return graphql.CollectFields(oc, fc.Field.Selections, satisfies), true
	}
	fields := graphql.CollectFieldsCtx(ctx, nil)
	for i, name := range path {
		var next []graphql.CollectedField
		found := false
		var only []string
		if i == len(path)-1 {
			only = satisfies
		}
		for _, f := range fields {
			if f.Name == name {
				found = true
				next = append(next, graphql.CollectFields(oc, f.Selections, only)...)
			}
		}
		if !found {
			return nil, false
		}
		fields = next
	}
	return fields, true
}

// selections is the memo of selectionAt for one resolver call: the
// selection below its field, walked once per path and type filter however
// many times the resolver and its helpers ask (a list resolver asks 10 to 20
// times). It belongs to the call's FieldContext, hence to one operation and
// its variables (@skip, @include), and goes away with the call's context.
type selections struct {
	fc   *graphql.FieldContext
	oc   *graphql.OperationContext
	mu   sync.Mutex // the context may reach a loader's batch goroutine
	root *selNode
}

// selNode is the selection at one path below the memo's field.
type selNode struct {
	name string
	// sets are the selection sets of the fields the path reaches, in the
	// order walkSelection visits them (the root has the current field's);
	// none when the operation does not reach the path.
	sets    []ast.SelectionSet
	byTypes []collected
	kids    []*selNode
	// One set and one type filter are the common case: room for them
	// comes with the node.
	set1  [1]ast.SelectionSet
	type1 [1]collected
}

// newSelNode is an empty node for the field name.
func newSelNode(name string) *selNode {
	n := &selNode{name: name}
	n.sets, n.byTypes = n.set1[:0], n.type1[:0]
	return n
}

// collected are the fields of a node's sets under one type filter.
type collected struct {
	satisfies []string
	fields    []graphql.CollectedField
}

type selectionsKey struct{}

// withSelections returns ctx with a memo of the current field's selection
// that selectionAt (so wants, userFieldsAt, clubFieldsAt, ...) reads for
// the rest of the resolver call; ctx itself when it has one already. A
// nested field's context, with its own FieldContext, does not use it.
func withSelections(ctx context.Context) context.Context {
	fc := graphql.GetFieldContext(ctx)
	if fc == nil || selectionsOf(ctx) != nil {
		return ctx
	}
	m := &selections{fc: fc, oc: graphql.GetOperationContext(ctx), root: newSelNode("")}
	m.root.sets = append(m.root.sets, fc.Field.Selections)
	return context.WithValue(ctx, selectionsKey{}, m)
}

// selectionsOf is ctx's memo when it belongs to ctx's current field.
func selectionsOf(ctx context.Context) *selections {
	m, _ := ctx.Value(selectionsKey{}).(*selections)
	if m == nil || m.fc != graphql.GetFieldContext(ctx) {
		return nil
	}
	return m
}

// at is selectionAt from the memo.
func (m *selections) at(satisfies []string, path []string) ([]graphql.CollectedField, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	n := m.node(path)
	if n == nil {
		return nil, false
	}
	return m.fields(n, satisfies), true
}

// reaches is wants from the memo: the fields at path are not collected.
func (m *selections) reaches(path []string) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.node(path) != nil
}

// node is the node of path; nil when the operation does not reach it.
func (m *selections) node(path []string) *selNode {
	n := m.root
	for _, name := range path {
		if n = m.child(n, name); len(n.sets) == 0 {
			return nil
		}
	}
	return n
}

// child is n's node for the field name below it.
func (m *selections) child(n *selNode, name string) *selNode {
	for _, k := range n.kids {
		if k.name == name {
			return k
		}
	}
	k := newSelNode(name)
	for _, f := range m.fields(n, nil) {
		if f.Name == name {
			k.sets = append(k.sets, f.Selections)
		}
	}
	n.kids = append(n.kids, k)
	return k
}

// fields are the fields of n's sets whose fragments apply to satisfies.
func (m *selections) fields(n *selNode, satisfies []string) []graphql.CollectedField {
	for _, c := range n.byTypes {
		if slices.Equal(c.satisfies, satisfies) {
			return c.fields
		}
	}
	var fs []graphql.CollectedField
	if len(n.sets) == 1 {
		fs = graphql.CollectFields(m.oc, n.sets[0], satisfies)
	} else {
		for _, set := range n.sets {
			fs = append(fs, graphql.CollectFields(m.oc, set, satisfies)...)
		}
	}
	n.byTypes = append(n.byTypes, collected{satisfies, fs})
	return fs
}

// wants reports whether the current field's selection reaches the nested
// field path. List resolvers use it to queue nested lookups only when a
// client asked for them.
func wants(ctx context.Context, path ...string) bool {
	if m := selectionsOf(ctx); m != nil {
		return m.reaches(path)
	}
	_, ok := walkSelection(ctx, nil, path...)
	return ok
}

var (
	userTypes = []string{"User", "Node"}
	clubTypes = []string{"Club", "Node"}
)

// userFieldsAt is what the users at path (below the current field; the
// current field itself when path is empty) select of the computed profile
// fields, so that their statement computes those only.
func userFieldsAt(ctx context.Context, path ...string) user.Fields {
	sel, _ := selectionAt(ctx, userTypes, path...)
	var f user.Fields
	for _, c := range sel {
		switch c.Name {
		case "viewerHasBlocked":
			f |= user.FieldBlocked
		case "viewerSentCard":
			f |= user.FieldSendCard
		case "cardTotal":
			f |= user.FieldCardTotal
		}
	}
	return f
}

// clubFieldsAt is userFieldsAt for clubs.
func clubFieldsAt(ctx context.Context, path ...string) club.Fields {
	sel, _ := selectionAt(ctx, clubTypes, path...)
	var f club.Fields
	for _, c := range sel {
		switch c.Name {
		case "memberTotal":
			f |= club.FieldMemberTotal
		case "viewerHasJoined":
			f |= club.FieldJoined
		}
	}
	return f
}
