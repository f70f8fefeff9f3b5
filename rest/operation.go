package rest

import (
	"bytes"
	"fmt"
	"io/fs"
	"sort"

	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/formatter"
	"github.com/vektah/gqlparser/v2/parser"
)

// operation is one GraphQL operation of ops/*.graphql, ready to execute.
type operation struct {
	name  string
	query string // the operation and the fragments it uses, alone
	vars  ast.VariableDefinitionList
	// needsLogin is true when any selected field carries @login;
	// allowIncomplete when every such field allows an uninitialised profile.
	needsLogin      bool
	allowIncomplete bool
	root            string // response key of the first root field
	message         bool   // the root field selects "message"
}

// loadOperations parses every operation, cuts it out with its fragments and
// validates it against the schema.
func loadOperations(fsys fs.FS, schema *ast.Schema) (map[string]*operation, error) {
	files, err := fs.Glob(fsys, "ops/*.graphql")
	if err != nil {
		return nil, err
	}
	sort.Strings(files)
	all := &ast.QueryDocument{}
	for _, f := range files {
		src, err := fs.ReadFile(fsys, f)
		if err != nil {
			return nil, err
		}
		doc, perr := parser.ParseQuery(&ast.Source{Name: f, Input: string(src)})
		if perr != nil {
			return nil, fmt.Errorf("%s: %w", f, perr)
		}
		all.Operations = append(all.Operations, doc.Operations...)
		all.Fragments = append(all.Fragments, doc.Fragments...)
	}
	ops := make(map[string]*operation, len(all.Operations))
	for _, op := range all.Operations {
		if _, dup := ops[op.Name]; dup {
			return nil, fmt.Errorf("operation %s defined twice", op.Name)
		}
		single := &ast.QueryDocument{Operations: ast.OperationList{op}, Fragments: usedFragments(all, op.SelectionSet)}
		var buf bytes.Buffer
		formatter.NewFormatter(&buf, formatter.WithIndent(" ")).FormatQueryDocument(single)
		query := buf.String()
		validated, gerrs := gqlparser.LoadQueryWithRules(schema, query, nil)
		if gerrs != nil {
			return nil, fmt.Errorf("operation %s: %w", op.Name, gerrs)
		}
		vop := validated.Operations[0]
		o := &operation{name: op.Name, query: query, vars: vop.VariableDefinitions, allowIncomplete: true}
		walkFields(vop.SelectionSet, func(f *ast.Field) {
			if f.Definition == nil {
				return
			}
			if d := f.Definition.Directives.ForName("login"); d != nil {
				o.needsLogin = true
				if a := d.Arguments.ForName("allowIncomplete"); a == nil || a.Value.Raw != "true" {
					o.allowIncomplete = false
				}
			}
		})
		for _, sel := range vop.SelectionSet {
			if f, ok := sel.(*ast.Field); ok {
				o.root, o.message = f.Alias, selectsKey(f.SelectionSet, "message")
				break
			}
		}
		ops[op.Name] = o
	}
	return ops, nil
}

// selectsKey reports whether set selects a field answered under key,
// directly or through fragments.
func selectsKey(set ast.SelectionSet, key string) bool {
	for _, sel := range set {
		switch s := sel.(type) {
		case *ast.Field:
			if s.Alias == key {
				return true
			}
		case *ast.InlineFragment:
			if selectsKey(s.SelectionSet, key) {
				return true
			}
		case *ast.FragmentSpread:
			if s.Definition != nil && selectsKey(s.Definition.SelectionSet, key) {
				return true
			}
		}
	}
	return false
}

// usedFragments returns the fragments a selection set needs, transitively.
func usedFragments(doc *ast.QueryDocument, set ast.SelectionSet) ast.FragmentDefinitionList {
	var out ast.FragmentDefinitionList
	seen := map[string]bool{}
	var visit func(ast.SelectionSet)
	visit = func(ss ast.SelectionSet) {
		for _, sel := range ss {
			switch s := sel.(type) {
			case *ast.Field:
				visit(s.SelectionSet)
			case *ast.InlineFragment:
				visit(s.SelectionSet)
			case *ast.FragmentSpread:
				if seen[s.Name] {
					continue
				}
				seen[s.Name] = true
				if def := doc.Fragments.ForName(s.Name); def != nil {
					out = append(out, def)
					visit(def.SelectionSet)
				}
			}
		}
	}
	visit(set)
	return out
}

// walkFields calls fn for every field selected, through fragments.
func walkFields(set ast.SelectionSet, fn func(*ast.Field)) {
	for _, sel := range set {
		switch s := sel.(type) {
		case *ast.Field:
			fn(s)
			walkFields(s.SelectionSet, fn)
		case *ast.InlineFragment:
			walkFields(s.SelectionSet, fn)
		case *ast.FragmentSpread:
			if s.Definition != nil {
				walkFields(s.Definition.SelectionSet, fn)
			}
		}
	}
}
