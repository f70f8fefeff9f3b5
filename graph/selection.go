package graph

import (
	"context"

	"github.com/99designs/gqlgen/graphql"

	"chaoqer/graph/club"
	"chaoqer/graph/user"
)

// selectionAt is the selection of the nested field path below the current
// field (by schema names, through aliases and fragments), and whether the
// operation reaches that path at all. The last level keeps only the
// fragments that apply to one of the types in satisfies (all when empty).
func selectionAt(ctx context.Context, satisfies []string, path ...string) ([]graphql.CollectedField, bool) {
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

// wants reports whether the current field's selection reaches the nested
// field path. List resolvers use it to queue nested lookups only when a
// client asked for them.
func wants(ctx context.Context, path ...string) bool {
	_, ok := selectionAt(ctx, nil, path...)
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
