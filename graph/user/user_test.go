package user

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"chaoqer/ent"
	"chaoqer/ent/entdb/entdbtest"
	"chaoqer/graph/errs"
	"chaoqer/graph/ids"
	"chaoqer/graph/message"
	"chaoqer/graph/push"
	"chaoqer/graph/viewer"
)

type statusSetter struct{}

func (statusSetter) SetStatus(ctx context.Context, db *ent.Client, uid string, status int) error {
	return db.Account.UpdateOneID(uid).SetStatus(status).Exec(ctx)
}

func newService(t *testing.T, live ...string) (*Service, *ent.Client) {
	db := entdbtest.Open(t)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	q := push.NewQueue(push.Log{Logger: log}, 1, 100, log)
	t.Cleanup(q.Close)
	return New(db, statusSetter{}, message.New(db.Client, q), live), db.Client
}

// account inserts an account with an empty profile in status.
func account(t *testing.T, db *ent.Client, status int) string {
	uid := ids.New()
	now := time.Now().UnixMilli()
	db.Account.Create().SetID(uid).SetCountryCode("86").SetMobile(uid[:11]).SetMobileMd5(ids.MD5(uid)).
		SetStatus(status).SetCreateTime(now).SetUpdateTime(now).SetActiveTime(now).ExecX(context.Background())
	db.Profile.Create().SetID(uid).SetNickname("n" + uid[:4]).SetAvatar("a").SetCreateTime(now).SetUpdateTime(now).
		ExecX(context.Background())
	return uid
}

func str(s string) *string { return &s }

func TestInitProfileValidatesAndSetsStatus(t *testing.T) {
	s, db := newService(t)
	ctx := context.Background()
	uid := account(t, db, viewer.StatusDefault)
	v := &viewer.Viewer{UID: uid, Status: viewer.StatusDefault}
	for in, msg := range map[*ProfileInput]string{
		{Avatar: str("a")}:                      "名字不能为空",
		{Nickname: str("  "), Avatar: str("a")}: "名字不能为空",
		{Nickname: str(strings.Repeat("😀", 10) + "x"), Avatar: str("a")}: "设置的名字不能超过20个字",
		{Nickname: str("n")}: "头像不能为空",
	} {
		err := s.InitProfile(ctx, v, *in)
		if e, ok := errs.As(err); !ok || e.Message != msg {
			t.Errorf("%+v: %v, want %s", in, err, msg)
		}
	}
	if err := s.InitProfile(ctx, v, ProfileInput{Nickname: str("Neo"), Avatar: str("x")}); err != nil {
		t.Fatal(err)
	}
	if st := db.Account.GetX(ctx, uid).Status; st != viewer.StatusNormal {
		t.Fatalf("status %d after init", st)
	}
	p, err := s.Profile(ctx, uid, uid, 0)
	if err != nil || p.Nickname != "Neo" || p.Avatar != "x" {
		t.Fatalf("profile %+v %v", p, err)
	}
}

func TestProfilesOnlyShowNormalAccounts(t *testing.T) {
	s, db := newService(t)
	ctx := context.Background()
	normal := account(t, db, viewer.StatusNormal)
	for _, st := range []int{viewer.StatusDefault, viewer.StatusLimited, viewer.StatusFrozen, viewer.StatusDeleted} {
		uid := account(t, db, st)
		if _, err := s.Profile(ctx, normal, uid, AllFields); !errors.Is(err, errs.UserNotFound) {
			t.Errorf("status %d visible: %v", st, err)
		}
	}
	m, err := s.Profiles(ctx, "", []string{normal, ids.New()}, AllFields)
	if err != nil || len(m) != 1 || m[normal] == nil {
		t.Fatalf("batch: %v %v", m, err)
	}
}

func TestAllowLiveComesFromConfig(t *testing.T) {
	s, db := newService(t)
	ctx := context.Background()
	uid := account(t, db, viewer.StatusNormal)
	other := account(t, db, viewer.StatusNormal)
	s.live = map[string]bool{uid: true}
	m, err := s.Profiles(ctx, "", []string{uid, other}, 0)
	if err != nil || !m[uid].AllowLive || m[other].AllowLive {
		t.Fatalf("allowLive: %+v %+v %v", m[uid], m[other], err)
	}
}

func TestViewerRelations(t *testing.T) {
	s, db := newService(t)
	ctx := context.Background()
	a, b, c := account(t, db, 1), account(t, db, 1), account(t, db, 1)
	if err := s.Block(ctx, a, b); err != nil {
		t.Fatal(err)
	}
	if err := s.SendCard(ctx, a, c); err != nil {
		t.Fatal(err)
	}
	if err := s.SendCard(ctx, b, c); err != nil {
		t.Fatal(err)
	}
	m, err := s.Profiles(ctx, a, []string{a, b, c}, AllFields)
	if err != nil {
		t.Fatal(err)
	}
	if m[a].Blocked || m[a].SendCard || !m[b].Blocked || m[b].SendCard || m[c].Blocked || !m[c].SendCard || m[c].CardTotal != 2 {
		t.Fatalf("relations seen by a: %+v %+v %+v", m[a], m[b], m[c])
	}
	anon, _ := s.Profiles(ctx, "", []string{b, c}, AllFields)
	if anon[b].Blocked || anon[c].SendCard || anon[c].CardTotal != 2 || anon[c].Computed != AllFields {
		t.Fatalf("anonymous view: %+v %+v", anon[b], anon[c])
	}

	// Each set of fields computes those and no others, in one statement
	// whose text has only their subqueries.
	for f := Fields(0); f <= AllFields; f++ {
		before := s.store.Statements()
		got, err := s.Profiles(ctx, a, []string{b, c}, f)
		if err != nil {
			t.Fatal(err)
		}
		if n := s.store.Statements() - before; n != 1 {
			t.Errorf("fields %03b: %d statements", f, n)
		}
		for _, uid := range []string{b, c} {
			want := *m[uid]
			if f&FieldBlocked == 0 {
				want.Blocked = false
			}
			if f&FieldSendCard == 0 {
				want.SendCard = false
			}
			if f&FieldCardTotal == 0 {
				want.CardTotal = 0
			}
			want.Computed = f
			if g := got[uid]; g == nil || g.Blocked != want.Blocked || g.SendCard != want.SendCard ||
				g.CardTotal != want.CardTotal || g.Computed != want.Computed || g.Nickname != want.Nickname {
				t.Errorf("fields %03b: %+v, want %+v", f, g, want)
			}
			// One uid runs the "=" form of the statement: the same profile.
			before := s.store.Statements()
			one, err := s.Profile(ctx, a, uid, f)
			if err != nil {
				t.Fatal(err)
			}
			if n := s.store.Statements() - before; n != 1 {
				t.Errorf("fields %03b, one uid: %d statements", f, n)
			}
			if one.Blocked != want.Blocked || one.SendCard != want.SendCard || one.CardTotal != want.CardTotal ||
				one.Computed != want.Computed || one.Nickname != want.Nickname {
				t.Errorf("fields %03b, one uid: %+v, want %+v", f, one, want)
			}
		}
		q := ProfilesSQL(f, "p.id IN (?)")
		for part, sub := range map[Fields]string{FieldBlocked: "user_blocks", FieldSendCard: "c.sender_uid", FieldCardTotal: "COUNT(*)"} {
			if strings.Contains(q, sub) != (f&part != 0) {
				t.Errorf("fields %03b: statement %q and %q", f, q, sub)
			}
		}
	}
}
