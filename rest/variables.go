package rest

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"
	"github.com/vektah/gqlparser/v2/ast"

	"chaoqer/graph/errs"
)

// errBadValue means a JSON body value does not fit its parameter's type
// (the legacy server answered HTTP 400).
var errBadValue = errors.New("parameter of the wrong type")

// variables binds the request to the operation's variables: a variable gets
// the path parameter of its name, else the request parameter of its name;
// an input-object variable collects the request parameters named like its
// fields. Unknown parameters (ts, sign, ...) are ignored. A query-string
// value of the wrong type is the legacy validation failure "<name>类型不正确".
func (s *Server) variables(r *compiledRoute, path gin.Params, params map[string]any, fromQuery bool) (map[string]any, error) {
	schema := s.cfg.Schema.Schema()
	vars := make(map[string]any, len(r.op.vars))
	for _, vd := range r.op.vars {
		name := vd.Variable
		if v, ok := path.Get(name); ok {
			vars[name] = v
			continue
		}
		if def := schema.Types[vd.Type.Name()]; vd.Type.Elem == nil && def != nil && def.Kind == ast.InputObject {
			obj, err := bindObject(schema, def, params, fromQuery)
			if err != nil {
				return nil, err
			}
			vars[name] = obj
			continue
		}
		raw, ok := params[name]
		if !ok {
			continue
		}
		v, err := coerce(schema, raw, vd.Type)
		if err != nil {
			return nil, typeError(name, fromQuery)
		}
		vars[name] = v
	}
	return vars, nil
}

func bindObject(schema *ast.Schema, def *ast.Definition, params map[string]any, fromQuery bool) (map[string]any, error) {
	obj := make(map[string]any, len(def.Fields))
	for _, f := range def.Fields {
		raw, ok := params[f.Name]
		if !ok {
			continue
		}
		v, err := coerce(schema, raw, f.Type)
		if err != nil {
			return nil, typeError(f.Name, fromQuery)
		}
		obj[f.Name] = v
	}
	return obj, nil
}

func typeError(name string, fromQuery bool) error {
	if fromQuery {
		return errs.Failure(name + "类型不正确")
	}
	return errBadValue
}

// coerce converts a request value to what a GraphQL type expects, with the
// leniency of the legacy binder (numbers in strings, scalars as strings).
func coerce(schema *ast.Schema, v any, t *ast.Type) (any, error) {
	if v == nil {
		if t.NonNull {
			return nil, errBadValue
		}
		return nil, nil
	}
	if t.Elem != nil {
		list, ok := v.([]any)
		if !ok {
			return nil, errBadValue
		}
		out := make([]any, len(list))
		for i, e := range list {
			c, err := coerce(schema, e, t.Elem)
			if err != nil {
				return nil, err
			}
			out[i] = c
		}
		return out, nil
	}
	switch t.NamedType {
	case "Int":
		n, err := toInt(v)
		if err != nil || n < math.MinInt32 || n > math.MaxInt32 {
			return nil, errBadValue
		}
		return n, nil
	case "Int64", "Timestamp":
		return toInt(v)
	case "Float":
		switch x := v.(type) {
		case json.Number:
			return x.Float64()
		case string:
			return strconv.ParseFloat(strings.TrimSpace(x), 64)
		}
		return nil, errBadValue
	case "Boolean":
		switch x := v.(type) {
		case bool:
			return x, nil
		case string:
			return strconv.ParseBool(x)
		}
		return nil, errBadValue
	case "String", "ID":
		switch x := v.(type) {
		case string:
			return x, nil
		case json.Number:
			return x.String(), nil
		case bool:
			return strconv.FormatBool(x), nil
		}
		return nil, errBadValue
	}
	def := schema.Types[t.NamedType]
	if def == nil {
		return nil, fmt.Errorf("unknown type %s", t.NamedType)
	}
	switch def.Kind {
	case ast.Enum:
		if s, ok := v.(string); ok {
			return s, nil
		}
	case ast.InputObject:
		m, ok := v.(map[string]any)
		if !ok {
			return nil, errBadValue
		}
		return bindObject(schema, def, m, false)
	}
	return nil, errBadValue
}

func toInt(v any) (int64, error) {
	switch x := v.(type) {
	case json.Number:
		return strconv.ParseInt(x.String(), 10, 64)
	case string:
		return strconv.ParseInt(strings.TrimSpace(x), 10, 64)
	}
	return 0, errBadValue
}
