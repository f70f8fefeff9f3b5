package limits

import (
	"encoding/json"
	"strings"

	"github.com/vektah/gqlparser/v2/ast"
)

// ListBounds are the most items a list field returns, by "Type.field", where
// the service caps it (room members: spec §5, six faces on a room card).
// Other lists count as DefaultListSize items.
var ListBounds = map[string]int{
	"Room.members":         6,
	"RoomSnapshot.members": 6,
}

// Cost estimates the work of a validated operation: every object a field
// returns costs 1 (each object of a list counts), leaf fields cost nothing.
// A connection (a field with a `first` argument) costs 1 plus `first` (or
// its default, else DefaultConnectionSize) times the cost of its subtree;
// the `edges` list of a connection is not multiplied again. Any other list
// of objects counts its bound in ListBounds, else DefaultListSize, objects.
// __schema and __type cost 1 each: introspection is answered from memory,
// bounded by the depth and selection limits. Fragments are expanded; every
// inline fragment of an abstract type counts (an upper bound).
func Cost(op *ast.OperationDefinition, vars map[string]any) int {
	if op == nil {
		return 0
	}
	return setCost(op.SelectionSet, "", vars)
}

func setCost(ss ast.SelectionSet, parent string, vars map[string]any) int {
	total := 0
	for _, sel := range ss {
		switch v := sel.(type) {
		case *ast.Field:
			total = satAdd(total, fieldCost(v, parent, vars))
		case *ast.InlineFragment:
			total = satAdd(total, setCost(v.SelectionSet, parent, vars))
		case *ast.FragmentSpread:
			if v.Definition != nil {
				total = satAdd(total, setCost(v.Definition.SelectionSet, parent, vars))
			}
		}
	}
	return total
}

func fieldCost(f *ast.Field, parent string, vars map[string]any) int {
	if f.Definition == nil || len(f.SelectionSet) == 0 {
		return 0 // a leaf (scalar, enum) or __typename
	}
	if f.Name == "__schema" || f.Name == "__type" {
		return 1
	}
	t := f.Definition.Type
	named := t.Name()
	child := setCost(f.SelectionSet, named, vars)
	switch {
	case f.Definition.Arguments.ForName("first") != nil:
		n := DefaultConnectionSize
		if v, ok := f.ArgumentMap(vars)["first"]; ok {
			if i, ok := toInt(v); ok {
				n = max(i, 0)
			}
		}
		return satAdd(1, satMul(n, child))
	case t.Elem != nil && !strings.HasSuffix(parent, "Connection"):
		n := DefaultListSize
		if b, ok := ListBounds[parent+"."+f.Name]; ok {
			n = b
		}
		return satMul(n, satAdd(1, child))
	}
	return satAdd(1, child)
}

func satMul(a, b int) int {
	const ceiling = 1 << 40
	if a != 0 && b > ceiling/a {
		return ceiling
	}
	return a * b
}

func toInt(v any) (int, bool) {
	switch i := v.(type) {
	case int:
		return i, true
	case int64:
		return int(min(i, 1<<40)), true
	case int32:
		return int(i), true
	case float64:
		return int(min(i, 1<<40)), true
	case json.Number:
		n, err := i.Int64()
		return int(min(n, 1<<40)), err == nil
	}
	return 0, false
}
