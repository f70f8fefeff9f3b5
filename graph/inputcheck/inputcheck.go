// Package inputcheck is the GraphQL executor step that refuses input values
// the server cannot take as they are, before any resolver runs: text a
// database cannot store (text.Storable: invalid UTF-8, NUL) and integers
// outside their scalar's range (Int: 32 bits; Int64 and Timestamp: 64 bits).
// It checks the operation's literal arguments and its variables, so the
// legacy REST routes, which run their operations through the same executor,
// get the same check.
package inputcheck

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"strconv"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/errcode"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"chaoqer/graph/text"
)

// Extension is the gqlgen handler extension; add it to every executor.
type Extension struct {
	schema *ast.Schema
}

// New returns the check for operations on schema.
func New(schema *ast.Schema) *Extension { return &Extension{schema: schema} }

var (
	_ graphql.HandlerExtension        = (*Extension)(nil)
	_ graphql.OperationContextMutator = (*Extension)(nil)
)

// ExtensionName names the extension.
func (*Extension) ExtensionName() string { return "InputCheck" }

// Validate accepts any schema.
func (*Extension) Validate(graphql.ExecutableSchema) error { return nil }

// MutateOperationContext checks the operation's inputs. A refused value is
// a validation error (extensions.code GRAPHQL_VALIDATION_FAILED, HTTP 422 on
// the GraphQL endpoint, 400 on the legacy routes) naming where it was.
func (e *Extension) MutateOperationContext(_ context.Context, oc *graphql.OperationContext) *gqlerror.Error {
	if oc.Operation == nil || oc.Doc == nil {
		return nil
	}
	var problem string
	var pos *ast.Position
	fail := func(p *ast.Position, format string, args ...any) {
		if problem == "" {
			problem, pos = fmt.Sprintf(format, args...), p
		}
	}
	for _, vd := range oc.Operation.VariableDefinitions {
		if v, ok := oc.Variables[vd.Variable]; ok {
			if msg := e.checkValue(vd.Type, v, "$"+vd.Variable); msg != "" {
				fail(vd.Position, "%s", msg)
			}
		}
	}
	var walkSet func(ast.SelectionSet)
	walkArgs := func(args ast.ArgumentList) {
		for _, a := range args {
			walkLiteral(a.Value, a.Name, fail)
		}
	}
	walkDirectives := func(ds ast.DirectiveList) {
		for _, d := range ds {
			walkArgs(d.Arguments)
		}
	}
	walkSet = func(set ast.SelectionSet) {
		for _, sel := range set {
			switch s := sel.(type) {
			case *ast.Field:
				walkArgs(s.Arguments)
				walkDirectives(s.Directives)
				walkSet(s.SelectionSet)
			case *ast.InlineFragment:
				walkDirectives(s.Directives)
				walkSet(s.SelectionSet)
			case *ast.FragmentSpread:
				walkDirectives(s.Directives)
			}
		}
	}
	walkDirectives(oc.Operation.Directives)
	walkSet(oc.Operation.SelectionSet)
	for _, f := range oc.Doc.Fragments {
		walkDirectives(f.Directives)
		walkSet(f.SelectionSet)
	}
	if problem == "" {
		return nil
	}
	err := gqlerror.ErrorPosf(pos, "%s", problem)
	errcode.Set(err, errcode.ValidationFailed)
	return err
}

// walkLiteral checks a literal argument value (variables inside it are
// checked with the variables).
func walkLiteral(v *ast.Value, where string, fail func(*ast.Position, string, ...any)) {
	if v == nil || v.Kind == ast.Variable || v.Kind == ast.NullValue {
		return
	}
	if t := v.ExpectedType; t != nil && v.Kind != ast.ListValue && isInt(t.Name()) {
		// t.Name() is the innermost type: a single value given for a list
		// is coerced as one element.
		if v.Kind != ast.IntValue && v.Kind != ast.StringValue {
			fail(v.Position, "%s", IntRefusal(t.Name(), where))
			return
		}
		if msg := checkInt(t.Name(), v.Raw, where); msg != "" {
			fail(v.Position, "%s", msg)
			return
		}
	}
	switch v.Kind {
	case ast.StringValue, ast.BlockValue, ast.EnumValue:
		if !text.Storable(v.Raw) {
			fail(v.Position, "%s", badText(where))
		}
	case ast.ListValue, ast.ObjectValue:
		for _, c := range v.Children {
			name := where
			if v.Kind == ast.ObjectValue {
				name = where + "." + c.Name
			}
			walkLiteral(c.Value, name, fail)
		}
	}
}

// checkValue checks a variable value against its type (nil for a value
// of unknown type, e.g. inside a JSON scalar); it returns what is wrong,
// or "".
func (e *Extension) checkValue(t *ast.Type, v any, where string) string {
	if v == nil {
		return ""
	}
	// Lists arrive as []any or typed slices ([]json.Number, []string: the
	// validator's coercion of a single value given for a list).
	if rv := reflect.ValueOf(v); rv.Kind() == reflect.Slice {
		if t != nil && t.Elem == nil && isInt(t.Name()) {
			return IntRefusal(t.Name(), where) // a list where one integer goes
		}
		var et *ast.Type
		if t != nil {
			et = t.Elem
			if et == nil {
				et = t
			}
		}
		for i := 0; i < rv.Len(); i++ {
			if msg := e.checkValue(et, rv.Index(i).Interface(), fmt.Sprintf("%s[%d]", where, i)); msg != "" {
				return msg
			}
		}
		return ""
	}
	if t != nil && isInt(t.Name()) {
		// t.Name() is the innermost type: a single value given for a list
		// is coerced as one element.
		return checkIntValue(t.Name(), v, where)
	}
	switch x := v.(type) {
	case map[string]any:
		// An input object's fields with their types; a JSON scalar's
		// members with none.
		for k, el := range x {
			if !text.Storable(k) {
				return badText(where)
			}
			if msg := e.checkValue(e.fieldType(t, k), el, where+"."+k); msg != "" {
				return msg
			}
		}
	case string:
		if !text.Storable(x) {
			return badText(where)
		}
	}
	return ""
}

// fieldType is the type of field name of input object t, or nil.
func (e *Extension) fieldType(t *ast.Type, name string) *ast.Type {
	if t == nil || e.schema == nil {
		return nil
	}
	def := e.schema.Types[t.Name()]
	if def == nil || def.Kind != ast.InputObject {
		return nil
	}
	if f := def.Fields.ForName(name); f != nil {
		return f.Type
	}
	return nil
}

// checkIntValue checks a variable value given for an integer scalar.
func checkIntValue(name string, v any, where string) string {
	switch x := v.(type) {
	case json.Number:
		return checkInt(name, x.String(), where)
	case string:
		return checkInt(name, x, where)
	case int64:
		if name == "Int" && (x < math.MinInt32 || x > math.MaxInt32) {
			return IntRefusal(name, where)
		}
		return ""
	case int:
		if name == "Int" && (x < math.MinInt32 || x > math.MaxInt32) {
			return IntRefusal(name, where)
		}
		return ""
	case float64:
		if x != math.Trunc(x) || !fits(name, x) {
			return IntRefusal(name, where)
		}
		return ""
	}
	return IntRefusal(name, where)
}

func isInt(name string) bool { return name == "Int" || name == "Int64" || name == "Timestamp" }

func bits(name string) int {
	if name == "Int" {
		return 32
	}
	return 64
}

// checkInt checks an integer's text: a decimal integer in its scalar's
// range (1e3, 1.0 and 1e30 are refused as 1.5 and 2^63 are).
func checkInt(name, raw, where string) string {
	if _, err := strconv.ParseInt(raw, 10, bits(name)); err != nil {
		return IntRefusal(name, where)
	}
	return ""
}

func fits(name string, f float64) bool {
	if name == "Int" {
		return f >= math.MinInt32 && f <= math.MaxInt32
	}
	return f >= math.MinInt64 && f < math.MaxInt64
}

// IntRefusal is the refusal of a value given for the integer scalar name
// (Int, Int64, Timestamp) at where: whether it is out of the scalar's
// range or no integer at all (a fraction, an exponent, text, a list), it
// is not an integer of the scalar's bits, and one wording serves every
// check that refuses one (the error presenter words gqlparser's refusals
// of variables so too, graph.ErrorPresenter).
func IntRefusal(name, where string) string {
	return fmt.Sprintf("%s: %s must be a %d-bit integer", where, name, bits(name))
}

func badText(where string) string {
	return where + ": text must be valid UTF-8 without NUL characters"
}
