package rest

import (
	"strings"

	"github.com/vektah/gqlparser/v2/ast"
)

// RouteInfo describes one legacy route for tools and tests that must cover
// every route (the malformed-input sweep, the fuzz tests), so a new route
// is covered without editing them.
type RouteInfo struct {
	Method, Path string
	// Operation is the GraphQL operation the route runs.
	Operation string
	// List: answered as {"page":…,"list":[…]}; Unsigned: no ts/sign;
	// Anonymous: Authorization is ignored.
	List, Unsigned, Anonymous bool
	// PathParams are the path's parameter names in order; RawPathParams
	// those that are not 32-hex ids.
	PathParams, RawPathParams []string
	// Params are the request parameters binding reads: the operation's
	// variables not taken from the path, and the fields of input-object
	// variables.
	Params []Param
}

// Param is one request parameter and the GraphQL type it binds to.
type Param struct {
	Name string
	// Type is the GraphQL named type (String, ID, Int, Int64, Timestamp,
	// Boolean, an enum, ...); List is true for a list of it.
	Type string
	List bool
}

// Routes describes the legacy route table as bound against schema.
func Routes(schema *ast.Schema) ([]RouteInfo, error) {
	ops, err := loadOperations(opsFS, schema)
	if err != nil {
		return nil, err
	}
	out := make([]RouteInfo, 0, len(routes))
	for _, r := range routes {
		info := RouteInfo{Method: r.method, Path: r.path, Operation: r.op, List: r.list,
			Unsigned: r.unsigned, Anonymous: r.anonymous, RawPathParams: r.rawParams}
		inPath := map[string]bool{}
		for _, seg := range strings.Split(r.path, "/") {
			if strings.HasPrefix(seg, ":") {
				info.PathParams = append(info.PathParams, seg[1:])
				inPath[seg[1:]] = true
			}
		}
		for _, vd := range ops[r.op].vars {
			if inPath[vd.Variable] {
				continue
			}
			if def := schema.Types[vd.Type.Name()]; vd.Type.Elem == nil && def != nil && def.Kind == ast.InputObject {
				for _, f := range def.Fields {
					info.Params = append(info.Params, Param{Name: f.Name, Type: f.Type.Name(), List: f.Type.Elem != nil})
				}
				continue
			}
			info.Params = append(info.Params, Param{Name: vd.Variable, Type: vd.Type.Name(), List: vd.Type.Elem != nil})
		}
		out = append(out, info)
	}
	return out, nil
}
