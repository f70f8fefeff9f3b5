package main

import (
	"slices"
	"strings"
	"testing"
)

// A miniature of gqlgen's executor: Leaf has only plain fields, Parent a
// field resolved on its own goroutine, Holder plain fields that reach
// Parent, and Tree is recursive through its own list.
const generated = `package graph

func (ec *executionContext) _Leaf(ctx context.Context) graphql.Marshaler {
	fields := graphql.CollectFields(ec.OperationContext, sel, leafImplementors)
	deferred := graphql.NewDeferredGroup(ctx)
	_, _ = fields, deferred
	return ec._Leaf_name(ctx)
}
func (ec *executionContext) _Leaf_name(ctx context.Context) graphql.Marshaler { return nil }
func (ec *executionContext) _Parent(ctx context.Context) graphql.Marshaler {
	out.ResolveConcurrently(ec.OperationContext, nil, 0, func(ctx context.Context) graphql.Marshaler { return nil })
	return nil
}
func (ec *executionContext) _Holder(ctx context.Context) graphql.Marshaler { return ec._Parent(ctx) }
func (ec *executionContext) _Tree(ctx context.Context) graphql.Marshaler { return ec.marshalTrees(ctx) }

func (ec *executionContext) marshalLeaves(ctx context.Context, v []int) graphql.Marshaler {
	return graphql.MarshalSliceConcurrently(ctx, len(v), 0, false, func(ctx context.Context, i int) graphql.Marshaler { return ec._Leaf(ctx) })
}
func (ec *executionContext) marshalParents(ctx context.Context, v []int) graphql.Marshaler {
	return graphql.MarshalSliceConcurrently(ctx, len(v), 0, false, func(ctx context.Context, i int) graphql.Marshaler { return ec._Parent(ctx) })
}
func (ec *executionContext) marshalHolders(ctx context.Context, v []int) graphql.Marshaler {
	return graphql.MarshalSliceConcurrently(ctx, len(v), 0, false, func(ctx context.Context, i int) graphql.Marshaler { return ec._Holder(ctx) })
}
func (ec *executionContext) marshalTrees(ctx context.Context, v []int) graphql.Marshaler {
	return graphql.MarshalSliceConcurrently(ctx, len(v), 0, false, func(ctx context.Context, i int) graphql.Marshaler { return ec._Tree(ctx) })
}
`

func TestRewriteInlinesOnlyListsThatCannotBlock(t *testing.T) {
	out, r, err := rewrite([]byte(generated))
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"marshalLeaves", "marshalTrees"}; !slices.Equal(r.inline, want) {
		t.Fatalf("rewritten %v, want %v", r.inline, want)
	}
	for fn, inline := range map[string]bool{"marshalLeaves": true, "marshalTrees": true, "marshalParents": false, "marshalHolders": false} {
		body := string(out[strings.Index(string(out), ") "+fn+"("):])
		body = body[:strings.Index(body, "\n}\n")]
		if got := strings.Contains(body, "marshalSliceInline("); got != inline {
			t.Errorf("%s inline = %v, want %v:\n%s", fn, got, inline, body)
		}
	}
}

func TestRewriteStartsDeferredGroupsThroughTheExecutor(t *testing.T) {
	out, r, err := rewrite([]byte(generated))
	if err != nil {
		t.Fatal(err)
	}
	if r.deferred != 1 || strings.Contains(string(out), "graphql.NewDeferredGroup") ||
		!strings.Contains(string(out), "deferred := ec.deferredGroup(ctx)") {
		t.Fatalf("%d rewritten:\n%s", r.deferred, out)
	}
	if r2 := rewriteAgain(t, out); r2.deferred != 0 {
		t.Fatalf("not idempotent: %d more deferred groups rewritten", r2.deferred)
	}
}

// rewriteAgain runs rewrite on its own output, which must come back
// unchanged, and returns what the second run counted.
func rewriteAgain(t *testing.T, out []byte) rewritten {
	t.Helper()
	again, r, err := rewrite(out)
	if err != nil {
		t.Fatal(err)
	}
	if string(again) != string(out) {
		t.Fatalf("not idempotent: a second run changed the source:\n%s", again)
	}
	return r
}

func TestRewriteCollectsFieldsThroughTheExecutor(t *testing.T) {
	out, r, err := rewrite([]byte(generated))
	if err != nil {
		t.Fatal(err)
	}
	if r.collect != 1 || strings.Contains(string(out), "graphql.CollectFields") ||
		!strings.Contains(string(out), "fields := ec.collectFields(sel, leafImplementors)") {
		t.Fatalf("%d rewritten:\n%s", r.collect, out)
	}
	// A call of another form is left alone; running it again changes nothing.
	other := strings.Replace(generated, "graphql.CollectFields(ec.OperationContext, sel, leafImplementors)",
		"graphql.CollectFields(oc, sel, leafImplementors)", 1)
	if o, r, err := rewrite([]byte(other)); err != nil || r.collect != 0 || !strings.Contains(string(o), "graphql.CollectFields(oc, sel, leafImplementors)") {
		t.Fatalf("another form rewritten (%d, %v)", r.collect, err)
	}
	if r2 := rewriteAgain(t, out); r2.collect != 0 {
		t.Fatalf("not idempotent: %d more collections rewritten", r2.collect)
	}
}

// The plain-field pass: the form it rewrites, and what it leaves alone.
const fields = `package graph

func (ec *executionContext) _User_nickname(ctx context.Context, field graphql.CollectedField, obj *user.Profile) (ret graphql.Marshaler) {
	return graphql.ResolveField(ctx, ec.OperationContext, field,
		func(ctx context.Context, field graphql.CollectedField) (*graphql.FieldContext, error) { return ec.fieldContext_User_nickname(ctx, field) },
		func(ctx context.Context) (any, error) { return obj.Nickname, nil },
		nil,
		func(ctx context.Context, selections ast.SelectionSet, v string) graphql.Marshaler { return ec.marshalNString2string(ctx, selections, v) },
		true, true)
}

func (ec *executionContext) _User_id(ctx context.Context, field graphql.CollectedField, obj *user.Profile) (ret graphql.Marshaler) {
	return graphql.ResolveField(ctx, ec.OperationContext, field, nil,
		func(ctx context.Context) (any, error) { return obj.NodeID(), nil },
		nil,
		func(ctx context.Context, selections ast.SelectionSet, v string) graphql.Marshaler { return ec.marshalNString2string(ctx, selections, v) },
		true, true)
}

func (ec *executionContext) _Room_creator(ctx context.Context, field graphql.CollectedField, obj *room.Room) (ret graphql.Marshaler) {
	return graphql.ResolveField(ctx, ec.OperationContext, field, nil,
		func(ctx context.Context) (any, error) { return obj.Creator, nil },
		nil,
		func(ctx context.Context, selections ast.SelectionSet, v *user.Profile) graphql.Marshaler { return ec.marshalOUser2ᚖProfile(ctx, selections, v) },
		true, false)
}

func (ec *executionContext) _Room_club(ctx context.Context, field graphql.CollectedField, obj *room.Room) (ret graphql.Marshaler) {
	return graphql.ResolveField(ctx, ec.OperationContext, field,
		func(ctx context.Context, field graphql.CollectedField) (*graphql.FieldContext, error) { return ec.fieldContext_Room_club(ctx, field) },
		func(ctx context.Context) (any, error) { return obj.Club, nil },
		nil,
		func(ctx context.Context, selections ast.SelectionSet, v *club.Club) graphql.Marshaler { return ec.marshalOClub2ᚖClub(ctx, selections, v) },
		true, false)
}

func (ec *executionContext) fieldContext_Room_club(_ context.Context, field graphql.CollectedField) (fc *graphql.FieldContext, err error) {
	return &graphql.FieldContext{Object: "Room", Field: field}, nil
}

func (ec *executionContext) marshalOClub2ᚖClub(ctx context.Context, sel ast.SelectionSet, v *club.Club) graphql.Marshaler {
	if v == nil {
		return graphql.Null
	}
	return ec._Club(ctx, sel, v)
}

func (ec *executionContext) _User_secret(ctx context.Context, field graphql.CollectedField, obj *user.Profile) (ret graphql.Marshaler) {
	return graphql.ResolveField(ctx, ec.OperationContext, field, nil,
		func(ctx context.Context) (any, error) { return obj.Secret, nil },
		func(ctx context.Context, next graphql.Resolver) graphql.Resolver { return ec.directives.Login(ctx, nil, next) },
		func(ctx context.Context, selections ast.SelectionSet, v string) graphql.Marshaler { return ec.marshalNString2string(ctx, selections, v) },
		true, true)
}

func (ec *executionContext) _User_bio(ctx context.Context, field graphql.CollectedField, obj *user.Profile) (ret graphql.Marshaler) {
	return graphql.ResolveField(ctx, ec.OperationContext, field, nil,
		func(ctx context.Context) (any, error) { return obj.BioFor(ec.viewer), nil },
		nil,
		func(ctx context.Context, selections ast.SelectionSet, v string) graphql.Marshaler { return ec.marshalNString2string(ctx, selections, v) },
		true, true)
}

func (ec *executionContext) marshalNString2string(ctx context.Context, sel ast.SelectionSet, v string) graphql.Marshaler {
	res := graphql.MarshalString(v)
	if res == graphql.Null {
		graphql.AddInvalidNullFromMarshaler(ctx, "String!")
	}
	return res
}

func (ec *executionContext) marshalOUser2ᚖProfile(ctx context.Context, sel ast.SelectionSet, v *user.Profile) graphql.Marshaler {
	if v == nil {
		return graphql.Null
	}
	return ec._User(ctx, sel, v)
}
`

func TestRewriteGivesPlainFieldsADirectPath(t *testing.T) {
	out, r, err := rewrite([]byte(fields))
	if err != nil {
		t.Fatal(err)
	}
	if r.plain != 3 || r.objects != 1 {
		t.Errorf("%d fields rewritten (%d objects), want 3: nickname, id (a getter) and club (an object)", r.plain, r.objects)
	}
	body := func(fn string) string {
		b := string(out[strings.Index(string(out), ") "+fn+"("):])
		return b[:strings.Index(b, "\n}\n")]
	}
	if want := "return ec.marshalNString2string(ctx, field.Selections, obj.NodeID())"; !strings.Contains(body("_User_id"), want) {
		t.Errorf("id not rewritten:\n%s", body("_User_id"))
	}
	want := "if ec.plainFields() {\n\t\treturn ec.marshalNString2string(ctx, field.Selections, obj.Nickname)\n\t}\n\treturn graphql.ResolveField("
	if !strings.Contains(body("_User_nickname"), want) {
		t.Errorf("nickname not rewritten:\n%s", body("_User_nickname"))
	}
	want = "if ec.plainFields() {\n\t\tfc, err := ec.fieldContext_Room_club(ctx, field)\n\t\tif err != nil {\n\t\t\treturn graphql.Null\n\t\t}\n" +
		"\t\treturn ec.marshalOClub2ᚖClub(graphql.WithFieldContext(ctx, fc), field.Selections, obj.Club)\n\t}\n\treturn graphql.ResolveField("
	if !strings.Contains(body("_Room_club"), want) {
		t.Errorf("club not rewritten:\n%s", body("_Room_club"))
	}
	// A getter taking arguments, an object without a field context, a
	// directive: gqlgen's path only.
	for _, fn := range []string{"_Room_creator", "_User_secret", "_User_bio"} {
		if strings.Contains(body(fn), "plainFields") {
			t.Errorf("%s rewritten:\n%s", fn, body(fn))
		}
	}
	if r2 := rewriteAgain(t, out); r2.plain != 0 {
		t.Errorf("not idempotent: %d more fields", r2.plain)
	}
}

// A miniature with real object signatures: Club has a concurrent field
// (creator), Room plain ones reaching Club and User; the rooms list stays
// concurrent and chooses at run time, the users list is inline.
const objects = `package graph

func (ec *executionContext) _Room(ctx context.Context, sel ast.SelectionSet, obj *Room) graphql.Marshaler {
	fields := graphql.CollectFields(ec.OperationContext, sel, roomImplementors)
	for i, field := range fields {
		switch field.Name {
		case "name":
			out.Values[i] = ec._Room_name(ctx, field, obj)
		case "club":
			out.Values[i] = ec._Room_club(ctx, field, obj)
		case "members":
			out.Values[i] = ec._Room_members(ctx, field, obj)
		}
	}
	return out
}
func (ec *executionContext) _Room_name(ctx context.Context, field graphql.CollectedField, obj *Room) graphql.Marshaler {
	return ec.marshalNString2string(ctx, field.Selections, obj.Name)
}
func (ec *executionContext) _Room_club(ctx context.Context, field graphql.CollectedField, obj *Room) graphql.Marshaler {
	return ec.marshalOClub2ᚖClub(ctx, field.Selections, obj.Club)
}
func (ec *executionContext) _Room_members(ctx context.Context, field graphql.CollectedField, obj *Room) graphql.Marshaler {
	return ec.marshalNUser2ᚕUser(ctx, field.Selections, obj.Members)
}
func (ec *executionContext) _Club(ctx context.Context, sel ast.SelectionSet, obj *Club) graphql.Marshaler {
	fields := graphql.CollectFields(ec.OperationContext, sel, clubImplementors)
	for i, field := range fields {
		switch field.Name {
		case "creator":
			out.ResolveConcurrently(ec.OperationContext, &deferred, i, true, false, func(ctx context.Context) graphql.Marshaler { return ec._Club_creator(ctx, field, obj) })
		}
	}
	return out
}
func (ec *executionContext) _Club_creator(ctx context.Context, field graphql.CollectedField, obj *Club) graphql.Marshaler {
	return ec.marshalOUser2ᚖUser(ctx, field.Selections, obj.Creator)
}
func (ec *executionContext) _User(ctx context.Context, sel ast.SelectionSet, obj *User) graphql.Marshaler {
	fields := graphql.CollectFields(ec.OperationContext, sel, userImplementors)
	return out
}
func (ec *executionContext) marshalString(ctx context.Context, sel ast.SelectionSet, v string) graphql.Marshaler {
	return graphql.MarshalString(v)
}
func (ec *executionContext) marshalOClub2ᚖClub(ctx context.Context, sel ast.SelectionSet, v *Club) graphql.Marshaler {
	return ec._Club(ctx, sel, v)
}
func (ec *executionContext) marshalOUser2ᚖUser(ctx context.Context, sel ast.SelectionSet, v *User) graphql.Marshaler {
	return ec._User(ctx, sel, v)
}
func (ec *executionContext) marshalNUser2ᚕUser(ctx context.Context, sel ast.SelectionSet, v []*User) graphql.Marshaler {
	return graphql.MarshalSliceConcurrently(ctx, len(v), 0, false, func(ctx context.Context, i int) graphql.Marshaler { return ec.marshalOUser2ᚖUser(ctx, sel, v[i]) })
}
func (ec *executionContext) marshalNRoom2ᚕRoom(ctx context.Context, sel ast.SelectionSet, v []*Room) graphql.Marshaler {
	return graphql.MarshalSliceConcurrently(ctx, len(v), 0, false, func(ctx context.Context, i int) graphql.Marshaler { return ec._Room(ctx, sel, v[i]) })
}
`

func TestRewriteDescribesObjectsForListsThatChoose(t *testing.T) {
	out, r, err := rewrite([]byte(objects))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(r.inline, []string{"marshalNUser2ᚕUser"}) || !slices.Equal(r.choose, []string{"marshalNRoom2ᚕRoom"}) {
		t.Fatalf("inline %v, choose %v", r.inline, r.choose)
	}
	src := string(out)
	for _, want := range []string{
		`return ec.marshalSlice(ctx, sel, "_Room", len(v), 0, false,`,
		`"_Room": {implementors: roomImplementors, fields: map[string]execField{`,
		`"club":    {children: []string{"_Club"}},`,
		`"members": {children: []string{"_User"}},`,
		`"name":    {children: []string{}},`,
		`"_Club": {implementors: clubImplementors, fields: map[string]execField{` + "\n\t\t\t" + `"creator": {blocks: true},`,
		`"_User": {implementors: userImplementors, fields: map[string]execField{}},`,
	} {
		if !strings.Contains(src, want) {
			t.Errorf("missing %q in:\n%s", want, src[strings.Index(src, "func init()"):])
		}
	}
	rewriteAgain(t, out)
}
