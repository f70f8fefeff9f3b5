package live

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"chaoqer/ent"
	"chaoqer/ent/entdb/entdbtest"
	"chaoqer/ent/presence"
	"chaoqer/ent/roomrequest"
	"chaoqer/graph/bus"
	"chaoqer/graph/ids"
	"chaoqer/graph/kvstore"
)

type env struct {
	mu      sync.Mutex
	members []*member
	t       *testing.T
	s       *Service
	c       *ent.Client
	links   *recorder
}

type recorder struct {
	mu    sync.Mutex
	texts []string
	next  LinkRecorder
}

func (r *recorder) Record(ctx context.Context, text string) {
	r.mu.Lock()
	r.texts = append(r.texts, text)
	r.mu.Unlock()
	r.next.Record(ctx, text)
}

func newEnv(t *testing.T, cfg Config) *env {
	t.Helper()
	db := entdbtest.Open(t)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	rec := &recorder{next: dbLinkRecorder{Client: db.Client}}
	if cfg.CloseGrace == 0 {
		cfg.CloseGrace = 20 * time.Millisecond
	}
	s := New(db, kvstore.New(db.Client, db.Dialect), dbCloser{Client: db.Client}, rec, log, cfg)
	s.SetBus(bus.NewLocal(s.Deliver))
	e := &env{t: t, s: s, c: db.Client, links: rec}
	t.Cleanup(func() {
		e.mu.Lock()
		for _, m := range e.members {
			m.leave()
		}
		e.mu.Unlock()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		s.Shutdown(ctx)
	})
	return e
}

func (e *env) room(owner string) string {
	e.t.Helper()
	id, now := ids.New(), time.Now().UnixMilli()
	e.c.Room.Create().SetID(id).SetUID(owner).SetCreateTime(now).SetSequenceID(ids.Seq(now, id)).SaveX(context.Background())
	return id
}

type member struct {
	once sync.Once
	e    *env
	uid  string
	room string
	c    *Conn
}

type got struct {
	Event  string          `json:"event"`
	Sender string          `json:"sender"`
	Action json.RawMessage `json:"action"`
	Data   json.RawMessage `json:"data"`
	raw    string
}

func (g got) action() string   { return scalarText(g.Action) }
func (g got) dataText() string { return scalarText(g.Data) }

// memberData decodes a data value that is a member JSON string.
func (g got) member(t *testing.T) Member {
	t.Helper()
	var m Member
	if err := json.Unmarshal([]byte(g.dataText()), &m); err != nil {
		t.Fatalf("member JSON in %s: %v", g.raw, err)
	}
	return m
}

func (e *env) join(room, uid string) *member {
	e.t.Helper()
	c, err := e.s.Connect(context.Background(), room, uid)
	if err != nil {
		e.t.Fatalf("join %s: %v", uid, err)
	}
	return e.track(&member{e: e, uid: uid, room: room, c: c})
}

func (e *env) track(m *member) *member {
	e.mu.Lock()
	e.members = append(e.members, m)
	e.mu.Unlock()
	return m
}

func (m *member) next() got {
	m.e.t.Helper()
	select {
	case b := <-m.c.Out():
		var g got
		if err := json.Unmarshal(b, &g); err != nil {
			m.e.t.Fatalf("not JSON: %s", b)
		}
		g.raw = string(b)
		return g
	case <-time.After(5 * time.Second):
		m.e.t.Fatalf("%s: no message", m.uid)
	}
	return got{}
}

// expect reads the next message and checks its event, action and sender.
func (m *member) expect(event, action, sender string) got {
	m.e.t.Helper()
	g := m.next()
	if g.Event != event || g.action() != action || g.Sender != sender {
		m.e.t.Fatalf("%s: want %s/%s from %s, got %s", m.uid, event, action, sender, g.raw)
	}
	return g
}

// quiet checks that nothing is waiting (the local bus delivers before
// Handle returns, so this is exact).
func (m *member) quiet() {
	m.e.t.Helper()
	select {
	case b := <-m.c.Out():
		m.e.t.Fatalf("%s: unexpected %s", m.uid, b)
	default:
	}
}

// skipJoin reads the join sequence of a fresh member.
func (m *member) skipJoin(host bool) {
	m.e.t.Helper()
	m.expect("connected", "", m.uid)
	m.expect("pin", "list", m.uid)
	m.expect("connection", "join", m.uid)
	if host {
		m.expect("invite", "list", m.uid)
	}
}

func (m *member) send(event, action string, data any) bool {
	m.e.t.Helper()
	var raw json.RawMessage
	if data != nil {
		raw, _ = json.Marshal(data)
	}
	return m.sendFrame(NewFrame(event, m.uid, action, raw))
}

func (m *member) sendRaw(frame string) bool {
	m.e.t.Helper()
	f, ok := ParseFrame([]byte(frame))
	if !ok {
		return false
	}
	return m.sendFrame(f)
}

func (m *member) sendFrame(f *Frame) bool {
	m.e.t.Helper()
	applied, err := m.e.s.Handle(context.Background(), m.room, m.uid, f)
	if err != nil {
		m.e.t.Fatalf("handle: %v", err)
	}
	return applied
}

func (m *member) leave() { m.once.Do(func() { m.e.s.Disconnect(context.Background(), m.c) }) }

func (e *env) row(room, uid string) *ent.Presence {
	p, err := e.c.Presence.Query().Where(presence.RoomID(room), presence.UID(uid)).Only(context.Background())
	if ent.IsNotFound(err) {
		return nil
	}
	if err != nil {
		e.t.Fatal(err)
	}
	return p
}

// stage sets up a room with host A, speaker S and audience U, all quiet.
func stage(t *testing.T, cfg Config) (*env, string, *member, *member, *member) {
	e := newEnv(t, cfg)
	a, s, u := ids.New(), ids.New(), ids.New()
	room := e.room(a)
	ma := e.join(room, a)
	ms := e.join(room, s)
	mu := e.join(room, u)
	ma.send("invite", "response", s)
	ms.send("role", "1", s)
	for _, m := range []*member{ma, ms, mu} {
		for len(m.c.Out()) > 0 {
			<-m.c.Out()
		}
	}
	if e.row(room, s).Role != RoleSpeaker || e.row(room, a).Role != RoleHost {
		t.Fatal("stage roles")
	}
	return e, room, ma, ms, mu
}

func TestJoinSequence(t *testing.T) {
	e := newEnv(t, Config{})
	a, b := ids.New(), ids.New()
	room := e.room(a)
	e.c.RoomPin.Create().SetRoomID(room).SetMd5("m1").SetTool("image").SetToolData("http://i").SetCreateTime(5).ExecX(context.Background())

	ma := e.join(room, a)
	g := ma.expect("connected", "", a)
	var members map[string]string
	if err := json.Unmarshal(g.Data, &members); err != nil || len(members) != 1 {
		t.Fatalf("connected data: %s", g.raw)
	}
	var me Member
	_ = json.Unmarshal([]byte(members[a]), &me)
	if me.Role != RoleHost || me.RUID != 1 || me.ConnID != ma.c.ID || me.Tool != "" {
		t.Fatalf("creator's entry: %s", members[a])
	}
	g = ma.expect("pin", "list", a)
	var pins map[string]string
	_ = json.Unmarshal(g.Data, &pins)
	if !strings.Contains(pins["m1"], `"toolData":"http://i"`) {
		t.Fatalf("pin list: %s", g.raw)
	}
	if ma.expect("connection", "join", a).member(t).Role != RoleHost {
		t.Fatal("join broadcast role")
	}
	if g := ma.expect("invite", "list", a); string(g.Data) != "[]" {
		t.Fatalf("hand list: %s", g.raw)
	}
	ma.quiet()

	ma.send("live", "open", nil)
	ma.expect("live", "open", a)

	mb := e.join(room, b)
	g = mb.expect("connected", "", b)
	_ = json.Unmarshal(g.Data, &members)
	if len(members) != 2 {
		t.Fatalf("connected lists both: %s", g.raw)
	}
	mb.expect("pin", "list", b)
	mb.expect("live", "open", a) // the stored live message
	if mb.expect("connection", "join", b).member(t).RUID != 2 {
		t.Fatal("second ruid")
	}
	mb.quiet() // audience: no hand list
	if ma.expect("connection", "join", b).member(t).Role != RoleAudience {
		t.Fatal("audience role")
	}
	ma.quiet()
}

func TestJoinClosedOrMissingRoom(t *testing.T) {
	e := newEnv(t, Config{})
	if _, err := e.s.Connect(context.Background(), ids.New(), ids.New()); !errors.Is(err, ErrRoomClosed) {
		t.Fatalf("missing room: %v", err)
	}
	room := e.room(ids.New())
	if err := (dbCloser{Client: e.c}).Close(context.Background(), room); err != nil {
		t.Fatal(err)
	}
	if _, err := e.s.Connect(context.Background(), room, ids.New()); !errors.Is(err, ErrRoomClosed) {
		t.Fatalf("closed room: %v", err)
	}
}

func TestReplacedConnectionInheritsRole(t *testing.T) {
	e, room, ma, ms, _ := stage(t, Config{})
	s2 := e.join(room, ms.uid)
	ms.expect("close", "", "")
	ms.quiet() // nothing after the close
	<-ms.c.Done()
	g := s2.expect("connected", "", ms.uid)
	var members map[string]string
	_ = json.Unmarshal(g.Data, &members)
	var me Member
	_ = json.Unmarshal([]byte(members[ms.uid]), &me)
	if me.Role != RoleSpeaker || me.ConnID != s2.c.ID {
		t.Fatalf("new connection entry: %s", members[ms.uid])
	}
	ma.expect("connection", "join", ms.uid)
	// The old connection ending is not a leave.
	ms.leave()
	ma.quiet()
	if p := e.row(room, ms.uid); p == nil || p.ConnID != s2.c.ID {
		t.Fatal("presence follows the new connection")
	}
}

func TestLiveRules(t *testing.T) {
	_, _, ma, ms, mu := stage(t, Config{})
	if mu.send("live", "open", nil) || ms.send("live", "open", nil) {
		t.Fatal("only hosts open")
	}
	if ms.send("live", "up", nil) {
		t.Fatal("up needs open")
	}
	if !ma.send("live", "open", nil) || ma.send("live", "open", nil) {
		t.Fatal("host opens once")
	}
	mu.expect("live", "open", ma.uid)
	if mu.send("live", "up", nil) {
		t.Fatal("audience cannot go up")
	}
	if !ms.send("live", "up", nil) {
		t.Fatal("speaker goes up after open")
	}
	mu.expect("live", "up", ms.uid)
	if ms.send("live", "up", nil) || mu.send("live", "down", nil) {
		t.Fatal("up twice / down by audience")
	}
	if !ms.send("live", "down", nil) {
		t.Fatal("the one up comes down")
	}
	if !ma.send("live", "up", nil) || !ma.send("live", "down", nil) {
		t.Fatal("host up after down, then down")
	}
	if !ma.send("live", "close", nil) || ma.send("live", "close", nil) || ms.send("live", "bogus", nil) {
		t.Fatal("close once")
	}
	mu.expect("live", "down", ms.uid)
	mu.expect("live", "up", ma.uid)
	mu.expect("live", "down", ma.uid)
	mu.expect("live", "close", ma.uid)
	mu.quiet()
}

func TestPinRules(t *testing.T) {
	e, room, ma, ms, mu := stage(t, Config{})
	// A non-host's pin is passed through unchanged (legacy quirk).
	raw := `{"event":"pin","sender":"` + mu.uid + `","action":"add","data":{"md5":"x","tool":"image","toolData":"y"}}`
	if !mu.sendRaw(raw) {
		t.Fatal("non-host pin passes through")
	}
	if g := ma.next(); g.raw != raw {
		t.Fatalf("passed through unchanged: %s", g.raw)
	}
	if n := e.c.RoomPin.Query().CountX(context.Background()); n != 0 {
		t.Fatal("nothing stored")
	}
	ms.next()
	mu.next()

	ms.send("tool", "link", "http://a.example/x")
	for _, m := range []*member{ma, ms, mu} {
		m.expect("tool", "link", ms.uid)
	}
	if ma.send("pin", "add", map[string]string{"md5": "p1", "tool": "video", "toolData": "v"}) {
		t.Fatal("only image or link")
	}
	pin := map[string]string{"md5": "p1", "tool": "link", "toolData": "http://a.example/x", "toUid": ms.uid}
	if !ma.send("pin", "add", pin) {
		t.Fatal("host pins")
	}
	g := mu.expect("pin", "add", ma.uid)
	var p Pin
	if err := json.Unmarshal([]byte(g.dataText()), &p); err != nil || p.MD5 != "p1" || p.ToUID != ms.uid || p.CreateTime == 0 {
		t.Fatalf("pin data is the pin's JSON string: %s", g.raw)
	}
	if g := mu.expect("tool", "clear", ms.uid); g.dataText() != "http://a.example/x" {
		t.Fatalf("the pinned member's tool is cleared: %s", g.raw)
	}
	if e.row(room, ms.uid).Tool != "" {
		t.Fatal("tool cleared in presence")
	}
	if ma.send("pin", "add", pin) {
		t.Fatal("same md5 twice")
	}
	if ma.send("pin", "remove", "nope") || !ma.send("pin", "remove", "p1") {
		t.Fatal("remove")
	}
	mu.expect("pin", "remove", ma.uid)
	mu.quiet()
}

func TestToolRules(t *testing.T) {
	e, room, ma, ms, mu := stage(t, Config{IconTTL: 30 * time.Millisecond})
	if mu.send("tool", "image", "http://i") || mu.send("tool", "icon", "x") {
		t.Fatal("audience has no tools")
	}
	long := strings.Repeat("链", 600)
	if !ms.send("tool", "link", long) {
		t.Fatal("speaker shares a link")
	}
	g := mu.expect("tool", "link", ms.uid)
	cut := strings.Repeat("链", MaxLinkChars)
	if g.dataText() != cut || e.row(room, ms.uid).ToolData != cut || e.row(room, ms.uid).Tool != "link" {
		t.Fatalf("link kept to 500 characters: %d", len([]rune(g.dataText())))
	}
	lp, err := e.c.LinkPreview.Get(context.Background(), ids.MD5(cut))
	if err != nil || lp.Link != cut || lp.Status != 0 {
		t.Fatalf("link recorded under the MD5 of the kept text: %v", err)
	}
	if ms.send("tool", "clear", "other") {
		t.Fatal("clear must name the current tool data")
	}
	if !ms.send("tool", "clear", cut) || e.row(room, ms.uid).ToolData != "" {
		t.Fatal("clear")
	}
	mu.expect("tool", "clear", ms.uid)
	ma.send("tool", "image", "http://img")
	mu.expect("tool", "image", ma.uid)
	ma.send("tool", "image", "  ")
	mu.expect("tool", "image", ma.uid)
	if p := e.row(room, ma.uid); p.Tool != "" || p.ToolData != "" {
		t.Fatal("blank data clears the tool")
	}
	if !ms.send("tool", "icon", "👍") {
		t.Fatal("icon")
	}
	mu.expect("tool", "icon", ms.uid)
	if g := mu.expect("tool", "clear", ms.uid); g.dataText() != "👍" { // after IconTTL
		t.Fatalf("icon clear: %s", g.raw)
	}
	if len(e.links.texts) != 1 {
		t.Fatalf("only non-blank links are recorded: %v", len(e.links.texts))
	}
}

func TestRoleRules(t *testing.T) {
	e, room, ma, ms, mu := stage(t, Config{})
	// Accepting needs a pending invitation.
	if mu.send("role", "1", mu.uid) {
		t.Fatal("no invitation")
	}
	ma.send("invite", "response", mu.uid)
	mu.expect("invite", "response", ma.uid)
	if ms.sendRaw(`{"event":"role","sender":"` + ms.uid + `","action":1,"data":"` + mu.uid + `"}`) {
		t.Fatal("only the invited member accepts")
	}
	if !mu.sendRaw(`{"event":"role","sender":"` + mu.uid + `","action":1,"data":"` + mu.uid + `"}`) {
		t.Fatal("numeric action accepted")
	}
	if g := ma.expect("connection", "update", mu.uid); g.member(t).Role != RoleSpeaker {
		t.Fatal("speaker")
	}
	ms.expect("connection", "update", mu.uid)
	mu.expect("connection", "update", mu.uid)
	if ok, _ := e.s.db.Client.RoomRequest.Query().Where(roomrequest.RoomID(room), roomrequest.Kind(kindInvite)).Exist(context.Background()); ok {
		t.Fatal("invitation consumed")
	}
	// Promote: host only, speakers only.
	if ms.send("role", "2", mu.uid) || ma.send("role", "2", ids.New()) {
		t.Fatal("promotion rules")
	}
	if !ma.send("role", "2", ms.uid) {
		t.Fatal("host promotes a speaker")
	}
	ma.expect("connection", "update", ms.uid)
	ms.expect("connection", "update", ms.uid)
	ms.expect("invite", "list", ms.uid) // a new host gets the raised hands
	mu.expect("connection", "update", ms.uid)
	mu.quiet()
	// Demote: the member himself; a live "up" goes down.
	ma.send("live", "open", nil)
	mu.send("live", "up", nil)
	for i := 0; i < 2; i++ {
		ma.next()
	}
	if ma.send("role", "0", ids.New()) || ma.send("role", "7", mu.uid) || ma.send("role", "x", mu.uid) {
		t.Fatal("bad targets and actions")
	}
	if !mu.send("role", "0", mu.uid) {
		t.Fatal("self demotion")
	}
	if g := ma.expect("connection", "update", mu.uid); g.member(t).Role != RoleAudience {
		t.Fatal("audience")
	}
	ma.expect("live", "down", mu.uid)
	if mu.send("role", "0", mu.uid) {
		t.Fatal("audience cannot be demoted")
	}
	// A host demotes another host.
	if !ms.send("role", "0", ma.uid) || e.row(room, ma.uid).Role != RoleAudience {
		t.Fatal("host demotes a host")
	}
}

func TestInviteRules(t *testing.T) {
	e, room, ma, ms, mu := stage(t, Config{})
	if ms.send("invite", "request", nil) {
		t.Fatal("speakers do not raise hands")
	}
	if !mu.send("invite", "request", nil) || mu.send("invite", "request", nil) {
		t.Fatal("one raised hand")
	}
	ma.expect("invite", "request", mu.uid)
	ms.quiet()
	mu.quiet()
	if ms.send("invite", "response", mu.uid) || ma.send("invite", "response", ms.uid) {
		t.Fatal("hosts invite audience only")
	}
	if !ma.send("invite", "response", mu.uid) || ma.send("invite", "response", mu.uid) {
		t.Fatal("one invitation")
	}
	mu.expect("invite", "response", ma.uid)
	ma.quiet()
	ms.quiet()
	if n := e.c.RoomRequest.Query().Where(roomrequest.RoomID(room), roomrequest.Kind(kindHand)).CountX(context.Background()); n != 0 {
		t.Fatal("the invited member's hand is lowered")
	}
	// Raising a hand withdraws a pending invitation.
	mu.send("invite", "request", nil)
	if mu.send("role", "1", mu.uid) {
		t.Fatal("invitation withdrawn")
	}
}

func TestMutePassThroughAndMalformed(t *testing.T) {
	_, _, ma, ms, mu := stage(t, Config{})
	if ms.send("mute", "", ms.uid) {
		t.Fatal("only hosts mute")
	}
	if !ma.send("mute", "", mu.uid) {
		t.Fatal("host mutes")
	}
	mu.expect("mute", "", ma.uid)
	ma.expect("mute", "", ma.uid)
	ms.expect("mute", "", ma.uid)
	chat := `{"event":"chat","sender":"` + mu.uid + `","data":{"text":"你好 <b>&"}}`
	if !mu.sendRaw(chat) {
		t.Fatal("chat")
	}
	if g := ma.next(); g.raw != chat {
		t.Fatalf("chat passed through unchanged: %s", g.raw)
	}
	if mu.sendRaw(`{"event":"chat","sender":"`+ma.uid+`"}`) || mu.send("heartbeat", "", nil) {
		t.Fatal("forged sender / heartbeat")
	}
	for _, bad := range []string{"", "x", "[]", `{"event":"chat"}`, `{"sender":"u"}`, `{"event":1,"sender":"u"}`, `{"event":"","sender":"u"}`, `{"event":"chat","sender":"u"`} {
		if _, ok := ParseFrame([]byte(bad)); ok {
			t.Fatalf("malformed accepted: %q", bad)
		}
	}
	ms.next()
	mu.next()
	ma.quiet()
	ms.quiet()
	mu.quiet()
}

func TestLeavePromotesThenCloses(t *testing.T) {
	e, room, ma, ms, mu := stage(t, Config{})
	mu.send("invite", "request", nil)
	ma.next()
	ma.send("invite", "response", mu.uid)
	mu.next()
	ma.leave()
	for _, m := range []*member{ms, mu} {
		m.expect("connection", "leave", ma.uid)
		if g := m.expect("connection", "update", ms.uid); g.member(t).Role != RoleHost {
			t.Fatal("the speaker becomes host")
		}
	}
	ms.expect("invite", "list", ms.uid)
	mu.leave()
	ms.expect("connection", "leave", mu.uid)
	if n := e.c.RoomRequest.Query().Where(roomrequest.RoomID(room), roomrequest.Kind(kindInvite)).CountX(context.Background()); n != 0 {
		t.Fatal("a leaver's invitation goes")
	}
	late := e.join(room, ids.New())
	late.skipJoin(false)
	ms.next()
	ms.leave()
	late.expect("connection", "leave", ms.uid)
	late.expect("close", "", "")
	<-late.c.Done()
	r := e.c.Room.GetX(context.Background(), room)
	if !r.Closed || r.CloseTime == nil {
		t.Fatal("the last host leaving without speakers closes the room")
	}
	if n := e.c.Presence.Query().CountX(context.Background()); n != 0 {
		t.Fatal("presence cleared")
	}
	late.leave()
}

func TestEmptyRoomStaysOpenAndIsSwept(t *testing.T) {
	e := newEnv(t, Config{SweepAfter: time.Minute})
	// An audience member leaving last leaves the room open but empty.
	room := e.room(ids.New())
	e.join(room, ids.New()).leave()
	r := e.c.Room.GetX(context.Background(), room)
	if r.Closed || r.EmptySince == nil {
		t.Fatal("empty, still open")
	}
	e.c.Room.UpdateOneID(room).SetEmptySince(time.Now().Add(-2 * time.Minute).UnixMilli()).ExecX(context.Background())
	// A room nobody joined counts from its creation.
	old := e.room(ids.New())
	e.c.Room.UpdateOneID(old).SetCreateTime(time.Now().Add(-2 * time.Minute).UnixMilli()).ExecX(context.Background())
	fresh := e.room(ids.New())
	busy := e.room(ids.New())
	e.c.Room.UpdateOneID(busy).SetCreateTime(time.Now().Add(-2 * time.Minute).UnixMilli()).ExecX(context.Background())
	mb := e.join(busy, ids.New())
	if err := e.s.Sweep(context.Background()); err != nil {
		t.Fatal(err)
	}
	if !e.c.Room.GetX(context.Background(), room).Closed || !e.c.Room.GetX(context.Background(), old).Closed ||
		e.c.Room.GetX(context.Background(), fresh).Closed ||
		e.c.Room.GetX(context.Background(), busy).Closed {
		t.Fatal("sweep closes only rooms empty for SweepAfter")
	}
	mb.leave()
}

func TestReapStaleInstance(t *testing.T) {
	e, room, ma, ms, mu := stage(t, Config{StaleAfter: time.Minute})
	// ma's row now belongs to an instance that stopped refreshing.
	e.c.Presence.Update().Where(presence.RoomID(room), presence.UID(ma.uid)).
		SetInstanceID("dead").SetSeenTime(time.Now().Add(-2 * time.Minute).UnixMilli()).ExecX(context.Background())
	if err := e.s.Reap(context.Background()); err != nil {
		t.Fatal(err)
	}
	mu.expect("connection", "leave", ma.uid)
	mu.expect("connection", "update", ms.uid) // promotion, but never a close
	if e.row(room, ma.uid) != nil {
		t.Fatal("stale row removed")
	}
	// This instance's refresh notices the lost row and ends that connection.
	if err := e.s.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	<-ma.c.Done()
}

func TestRUIDsAreUnique(t *testing.T) {
	e := newEnv(t, Config{})
	room := e.room(ids.New())
	var wg sync.WaitGroup
	ms := make([]*member, 8)
	for i := range ms {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			c, err := e.s.Connect(context.Background(), room, ids.New())
			if err != nil {
				t.Error(err)
				return
			}
			ms[i] = e.track(&member{e: e, c: c, room: room})
		}(i)
	}
	wg.Wait()
	seen := map[int64]bool{}
	for _, p := range e.c.Presence.Query().AllX(context.Background()) {
		if seen[p.Ruid] {
			t.Fatalf("ruid %d twice", p.Ruid)
		}
		seen[p.Ruid] = true
	}
	if len(seen) != len(ms) {
		t.Fatal("all joined")
	}
}

// TestRefreshKeepsConcurrentJoins: a connection whose join commits after a
// refresh took its snapshot of this instance's rows is not taken for a
// connection whose row another instance removed (issue 12.3: such joins
// were closed with code 1000 and no {"event":"close"}).
func TestRefreshKeepsConcurrentJoins(t *testing.T) {
	e := newEnv(t, Config{RefreshEvery: 10 * time.Millisecond})
	ctx, stop := context.WithCancel(context.Background())
	var jobs sync.WaitGroup
	jobs.Add(2)
	// The 10 ms refresh, and refreshes back to back besides.
	go func() { defer jobs.Done(); e.s.Run(ctx) }()
	go func() {
		defer jobs.Done()
		for ctx.Err() == nil {
			if err := e.s.Refresh(ctx); err != nil && ctx.Err() == nil {
				t.Error(err)
				return
			}
		}
	}()
	rooms := make([]string, 8)
	for i := range rooms {
		rooms[i] = e.room(ids.New())
	}
	const workers, perWorker = 4, 60
	conns := make([]*Conn, workers*perWorker)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; i < perWorker; i++ {
				n := w*perWorker + i
				c, err := e.s.Connect(context.Background(), rooms[n%len(rooms)], ids.New())
				if err != nil {
					t.Error(err)
					return
				}
				conns[n] = c
				e.track(&member{e: e, c: c, room: c.Room})
			}
		}(w)
	}
	wg.Wait()
	stop()
	jobs.Wait()
	// Two more refreshes, each after every join committed.
	for i := 0; i < 2; i++ {
		if err := e.s.Refresh(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	kicked := 0
	for _, c := range conns {
		if c == nil {
			continue
		}
		select {
		case <-c.Done():
			kicked++
		default:
		}
	}
	if kicked > 0 {
		t.Fatalf("%d of %d joins were ended by the presence refresh", kicked, len(conns))
	}
}

// TestReclaimAfterRestart: instance "one" crashes holding A (host) and B
// in a room that C follows on instance "two", and H (host) in a room
// whose speaker S is on "two". Restarted with the same id, "one" removes
// A, B and H at once (spec §4.1) as reaped leaves — S becomes host, no
// room closes — and leaves C, S and its own new connections alone.
func TestReclaimAfterRestart(t *testing.T) {
	db := entdbtest.Open(t)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	kv := kvstore.New(db.Client, db.Dialect)
	var mu sync.Mutex
	var instances []*Service
	var envs []*env
	shared := func(payload []byte) { // one bus for every instance
		mu.Lock()
		all := append([]*Service(nil), instances...)
		mu.Unlock()
		for _, s := range all {
			s.Deliver(payload)
		}
	}
	start := func(id string) *env {
		s := New(db, kv, dbCloser{Client: db.Client}, dbLinkRecorder{Client: db.Client}, log,
			Config{InstanceID: id, CloseGrace: 20 * time.Millisecond})
		s.SetBus(bus.NewLocal(shared))
		mu.Lock()
		instances = append(instances, s)
		mu.Unlock()
		e := &env{t: t, s: s, c: db.Client}
		envs = append(envs, e)
		return e
	}
	one, two := start("one"), start("two")
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		for _, e := range envs {
			for _, m := range e.members {
				m.leave()
			}
			e.s.Shutdown(ctx)
		}
	})

	a, b, c, h, sp := ids.New(), ids.New(), ids.New(), ids.New(), ids.New()
	room1, room2 := one.room(a), one.room(h)
	one.join(room1, a).skipJoin(true)
	one.join(room1, b)
	mc := two.join(room1, c)
	one.join(room2, h)
	ms := two.join(room2, sp)
	ms.skipJoin(false)
	if _, err := db.Client.Presence.Update().Where(presence.UID(sp)).SetRole(RoleSpeaker).Save(context.Background()); err != nil {
		t.Fatal(err)
	}
	mc.skipJoin(false)

	// "one" crashes: its connections vanish without leaving.
	mu.Lock()
	instances = instances[1:]
	mu.Unlock()
	restarted := start("one")
	envs = envs[1:] // gone with the crash
	// A connection the restarted instance already holds is its own.
	late := ids.New()
	ml := restarted.join(room1, late)
	mc.expect("connection", "join", late)
	if err := restarted.s.Reclaim(context.Background()); err != nil {
		t.Fatal(err)
	}

	left := map[string]bool{}
	for i := 0; i < 2; i++ {
		if m := mc.next(); m.Event == "connection" && m.action() == "leave" {
			left[m.Sender] = true
		}
	}
	mc.quiet()
	if !left[a] || !left[b] {
		t.Fatalf("C hears A and B leave: %v", left)
	}
	ms.expect("connection", "leave", h)
	if ms.expect("connection", "update", sp).member(t).Role != RoleHost {
		t.Fatal("the speaker becomes host")
	}
	for _, uid := range []string{a, b, h} {
		if one.row(room1, uid) != nil || one.row(room2, uid) != nil {
			t.Fatalf("%s still shows as connected", uid)
		}
	}
	if one.row(room1, c) == nil || one.row(room2, sp) == nil || one.row(room1, late) == nil {
		t.Fatal("the other instance's members and the new connection stay")
	}
	for _, r := range []string{room1, room2} {
		if db.Client.Room.GetX(context.Background(), r).Closed {
			t.Fatal("a restart closes no room")
		}
	}
	select {
	case <-ml.c.Done():
		t.Fatal("the new connection stays")
	default:
	}
}
