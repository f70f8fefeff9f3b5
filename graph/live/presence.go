package live

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"chaoqer/ent"
	"chaoqer/ent/entdb"
	"chaoqer/ent/presence"
	"chaoqer/ent/roompin"
	"chaoqer/ent/roomrequest"
	"chaoqer/graph/errs"
	"chaoqer/graph/ids"
)

// Request kinds in room_requests.
const (
	kindHand   = "hand"
	kindInvite = "invite"
)

// txn is one state change of a room: a transaction that holds the room row
// (so changes of one room never interleave, on any instance) and the
// messages to publish once it commits.
type txn struct {
	ctx    context.Context
	tx     *ent.Tx
	svc    *Service
	room   string
	closed bool
	live   *string // rooms.live_state
	owner  string  // the room's creator
	ruid   int64   // rooms.ruid_seq after the lock (incremented for joins)
	outbox []envelope
}

// lock runs the room-locking statement q and reads the room's state into t;
// false when no row matched. Its rows are closed on return, before the
// caller's statements run on the same transaction.
func (t *txn) lock(q string, args []any) (found bool, err error) {
	rows, err := t.tx.Client().QueryContext(t.ctx, entdb.Rebind(t.svc.db.Dialect, q), args...)
	if err != nil {
		return false, err
	}
	defer rows.Close()
	if !rows.Next() {
		return false, rows.Err()
	}
	var live sql.NullString
	if err := rows.Scan(&t.closed, &live, &t.owner, &t.ruid); err != nil {
		return false, err
	}
	if live.Valid {
		t.live = &live.String
	}
	return true, rows.Err()
}

// errNoRoom aborts a transaction on a missing room.
var errNoRoom = errors.New("live: no such room")

// inRoom runs fn in a transaction holding the room row; with nextRUID the
// lock also hands out the next ruid and marks the room occupied. Messages
// queued by fn are published after the commit.
func (s *Service) inRoom(ctx context.Context, room string, nextRUID bool, fn func(t *txn) error) error {
	var outbox []envelope
	err := entdb.WithTx(ctx, s.db.Client, func(tx *ent.Tx) error {
		t := &txn{ctx: ctx, tx: tx, svc: s, room: room}
		q := "UPDATE rooms SET ruid_seq = ruid_seq WHERE id = ? RETURNING closed, live_state, uid, ruid_seq"
		if nextRUID {
			q = "UPDATE rooms SET ruid_seq = ruid_seq + 1, empty_since = NULL WHERE id = ? AND closed = ? RETURNING closed, live_state, uid, ruid_seq"
		}
		args := []any{room}
		if nextRUID {
			args = append(args, false)
		}
		found, err := t.lock(q, args)
		if err != nil {
			return err
		}
		if !found {
			return errNoRoom
		}
		if err := fn(t); err != nil {
			return err
		}
		outbox = t.outbox
		return nil
	})
	if err != nil {
		return err
	}
	for _, e := range outbox {
		s.publish(ctx, e)
	}
	return nil
}

// broadcast queues msg for every connection of the room.
func (t *txn) broadcast(msg []byte) {
	t.outbox = append(t.outbox, envelope{Kind: kindBroadcast, Room: t.room, Msg: msg})
}

// to queues msg for the connections of uids only.
func (t *txn) to(uids []string, msg []byte) {
	if len(uids) == 0 {
		return
	}
	t.outbox = append(t.outbox, envelope{Kind: kindBroadcast, Room: t.room, UIDs: uids, Msg: msg})
}

// member reads uid's presence row (nil when not connected).
func (t *txn) member(uid string) (*ent.Presence, error) {
	p, err := t.tx.Presence.Query().Where(presence.RoomID(t.room), presence.UID(uid)).Only(t.ctx)
	if ent.IsNotFound(err) {
		return nil, nil
	}
	return p, err
}

// setLive stores the live state (nil deletes it).
func (t *txn) setLive(state *string) error {
	t.live = state
	return t.tx.Room.UpdateOneID(t.room).SetNillableLiveState(state).Exec(t.ctx)
}

func (t *txn) clearLive() error {
	t.live = nil
	return t.tx.Room.UpdateOneID(t.room).ClearLiveState().Exec(t.ctx)
}

// hostUIDs lists the connected hosts.
func (t *txn) hostUIDs() ([]string, error) {
	return t.tx.Presence.Query().Where(presence.RoomID(t.room), presence.Role(RoleHost)).
		Order(ent.Asc(presence.FieldRuid)).Select(presence.FieldUID).Strings(t.ctx)
}

// hands lists the raised hands in the order they were raised.
func (t *txn) hands() ([]string, error) {
	uids, err := t.tx.RoomRequest.Query().
		Where(roomrequest.RoomID(t.room), roomrequest.Kind(kindHand)).
		Order(ent.Asc(roomrequest.FieldCreateTime), ent.Asc(roomrequest.FieldID)).
		Select(roomrequest.FieldUID).Strings(t.ctx)
	if uids == nil {
		uids = []string{}
	}
	return uids, err
}

func (t *txn) handsMsg(uid string) ([]byte, error) {
	h, err := t.hands()
	if err != nil {
		return nil, err
	}
	return msg("invite", uid, "list", h), nil
}

// hasRequest reports whether uid has a request of kind.
func (t *txn) hasRequest(kind, uid string) (bool, error) {
	return t.tx.RoomRequest.Query().
		Where(roomrequest.RoomID(t.room), roomrequest.Kind(kind), roomrequest.UID(uid)).Exist(t.ctx)
}

// addRequest records a request of kind for uid; it reports whether it is new.
func (t *txn) addRequest(kind, uid string) (bool, error) {
	if ok, err := t.hasRequest(kind, uid); err != nil || ok {
		return false, err
	}
	err := t.tx.RoomRequest.Create().SetRoomID(t.room).SetKind(kind).SetUID(uid).
		SetCreateTime(t.svc.nowMs()).Exec(t.ctx)
	return err == nil, err
}

// dropRequest removes uid's request of kind; it reports whether one existed.
func (t *txn) dropRequest(kind, uid string) (bool, error) {
	n, err := t.tx.RoomRequest.Delete().
		Where(roomrequest.RoomID(t.room), roomrequest.Kind(kind), roomrequest.UID(uid)).Exec(t.ctx)
	return n > 0, err
}

// setRole changes a member's role (clearing the tool when demoted to
// audience) and queues the connection/update broadcast; a new host then
// gets the raised-hand list, and an audience member who was live "up" goes
// down.
func (t *txn) setRole(p *ent.Presence, role int) error {
	u := t.tx.Presence.UpdateOne(p).SetRole(role)
	if role == RoleAudience {
		u.SetTool("").SetToolData("")
	}
	np, err := u.Save(t.ctx)
	if err != nil {
		return err
	}
	e := envelope{Kind: kindBroadcast, Room: t.room, Msg: msg("connection", np.UID, "update", memberOf(np).JSON())}
	if role == RoleHost {
		if e.Then, err = t.handsMsg(np.UID); err != nil {
			return err
		}
		e.ThenUID = np.UID
	}
	t.outbox = append(t.outbox, e)
	if role == RoleAudience {
		return t.liveDownIfUp(np.UID)
	}
	return nil
}

// liveDownIfUp turns the live state to "down" when uid is the one "up".
func (t *txn) liveDownIfUp(uid string) error {
	action, sender := liveAction(t.live)
	if action != "up" || sender != uid {
		return nil
	}
	down := msg("live", uid, "down", nil)
	state := string(down)
	if err := t.setLive(&state); err != nil {
		return err
	}
	t.broadcast(down)
	return nil
}

// Connect joins uid to room on a new connection and sends the join
// sequence (spec §4.3). The caller must call Disconnect when the connection
// ends. ErrRoomClosed when the room is closed or missing.
func (s *Service) Connect(ctx context.Context, room, uid string) (*Conn, error) {
	c := &Conn{ID: ids.New(), Room: room, UID: uid, svc: s, out: make(chan []byte, s.cfg.QueueSize),
		done: make(chan struct{})}
	if s.shuttingDown.Load() {
		return nil, ErrRoomClosed
	}
	if err := s.rooms.MayJoin(ctx, uid, room); err != nil {
		if errors.Is(err, errs.RoomNotFound) {
			return nil, ErrRoomClosed
		}
		return nil, err
	}
	s.conns.Add(1)
	// Registered before the join so nothing published meanwhile is missed;
	// it waits in the connection until the join sequence has been sent.
	s.hub.add(c)
	var first [][]byte
	var me Member
	var oldConn string
	err := s.inRoom(ctx, room, true, func(t *txn) error {
		old, err := t.member(uid)
		if err != nil {
			return err
		}
		hasHost, err := t.tx.Presence.Query().
			Where(presence.RoomID(room), presence.Role(RoleHost), presence.UIDNEQ(uid)).Exist(ctx)
		if err != nil {
			return err
		}
		role := RoleAudience
		if t.owner == uid && !hasHost {
			role = RoleHost
		}
		if old != nil && role != RoleHost && (old.Role == RoleSpeaker || old.Role == RoleHost) {
			role = old.Role
		}
		now := s.nowMs()
		var p *ent.Presence
		if old != nil {
			oldConn = old.ConnID
			p, err = t.tx.Presence.UpdateOne(old).SetRuid(t.ruid).SetRole(role).SetConnID(c.ID).
				SetInstanceID(s.cfg.InstanceID).SetTool("").SetToolData("").
				SetCreateTime(now).SetSeenTime(now).Save(ctx)
		} else {
			p, err = t.tx.Presence.Create().SetRoomID(room).SetUID(uid).SetRuid(t.ruid).SetRole(role).
				SetConnID(c.ID).SetInstanceID(s.cfg.InstanceID).SetCreateTime(now).SetSeenTime(now).Save(ctx)
		}
		if err != nil {
			return err
		}
		me = memberOf(p)
		all, err := t.tx.Presence.Query().Where(presence.RoomID(room)).Order(ent.Asc(presence.FieldRuid)).All(ctx)
		if err != nil {
			return err
		}
		members := make(map[string]string, len(all))
		for _, m := range all {
			members[m.UID] = memberOf(m).JSON()
		}
		pins, err := t.tx.RoomPin.Query().Where(roompin.RoomID(room)).
			Order(ent.Asc(roompin.FieldCreateTime), ent.Asc(roompin.FieldID)).All(ctx)
		if err != nil {
			return err
		}
		pinData := make(map[string]string, len(pins))
		for _, p := range pins {
			pinData[p.Md5] = pinOf(p).JSON()
		}
		first = [][]byte{msg("connected", uid, "", members), msg("pin", uid, "list", pinData)}
		if t.live != nil {
			first = append(first, []byte(*t.live))
		}
		if oldConn != "" {
			t.outbox = append(t.outbox, envelope{Kind: kindCloseConn, Room: room, Conn: oldConn})
		}
		t.broadcast(msg("connection", uid, "join", me.JSON()))
		if role == RoleHost {
			hm, err := t.handsMsg(uid)
			if err != nil {
				return err
			}
			t.to([]string{uid}, hm)
		}
		return nil
	})
	if err != nil {
		s.hub.remove(c)
		s.conns.Done()
		if errors.Is(err, errNoRoom) {
			return nil, ErrRoomClosed
		}
		return nil, err
	}
	// The outbox (join broadcast, raised hands) has been published and
	// waits in c; start sends the join sequence ahead of it. The refresh
	// generation is read after the commit (see Refresh).
	c.start(s.refreshes.Load(), first...)
	return c, nil
}

// Disconnect ends a connection: it leaves the room if it is still the
// member's current connection (spec §4.5).
func (s *Service) Disconnect(ctx context.Context, c *Conn) {
	defer s.conns.Done()
	s.hub.remove(c)
	c.kick()
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if err := s.leave(ctx, c.Room, c.UID, c.ID, !s.shuttingDown.Load()); err != nil {
		s.log.Warn("live rooms: leaving", "room", c.Room, "err", err)
	}
}

// leave removes uid's presence on connection connID (if it still is the
// current one), with the leave broadcasts, host promotion and — when
// mayClose and the last host left without a speaker — the room's close.
func (s *Service) leave(ctx context.Context, room, uid, connID string, mayClose bool) error {
	closeRoom := false
	err := s.inRoom(ctx, room, false, func(t *txn) error {
		if _, err := t.dropRequest(kindInvite, uid); err != nil {
			return err
		}
		p, err := t.member(uid)
		if err != nil || p == nil || p.ConnID != connID {
			return err
		}
		if err := t.tx.Presence.DeleteOne(p).Exec(ctx); err != nil {
			return err
		}
		t.broadcast(msg("connection", uid, "leave", nil))
		if err := t.liveDownIfUp(uid); err != nil {
			return err
		}
		if p.Role == RoleHost {
			hosts, err := t.tx.Presence.Query().Where(presence.RoomID(room), presence.Role(RoleHost)).Exist(ctx)
			if err != nil {
				return err
			}
			if !hosts {
				next, err := t.tx.Presence.Query().Where(presence.RoomID(room), presence.Role(RoleSpeaker)).
					Order(ent.Asc(presence.FieldRuid)).First(ctx)
				switch {
				case ent.IsNotFound(err):
					closeRoom = mayClose && !t.closed
				case err != nil:
					return err
				default:
					if err := t.setRole(next, RoleHost); err != nil {
						return err
					}
				}
			}
		}
		left, err := t.tx.Presence.Query().Where(presence.RoomID(room)).Exist(ctx)
		if err != nil {
			return err
		}
		if !left {
			return t.tx.Room.UpdateOneID(room).SetEmptySince(s.nowMs()).Exec(ctx)
		}
		return nil
	})
	if errors.Is(err, errNoRoom) {
		return nil
	}
	if err != nil {
		return err
	}
	if closeRoom {
		return s.closeRoom(ctx, room)
	}
	return nil
}

// closeRoom closes a room and ends its connections everywhere.
func (s *Service) closeRoom(ctx context.Context, room string) error {
	if err := s.rooms.Close(ctx, room); err != nil {
		return err
	}
	s.RoomClosed(ctx, room)
	return nil
}

// Snapshot is the live state of a room as a member joining it would see it.
type Snapshot struct {
	RoomID  string
	Members []Member // in join order (ruid)
	Pins    []Pin
	// Live is the last accepted live message (raw JSON), if any.
	Live JSON
	// Hands are the raised hands; only hosts see them.
	Hands []string
}

// Snapshot reads the live state of an open room for viewer, who must be
// allowed in it (Rooms.MayJoin; ErrRoomClosed otherwise).
func (s *Service) Snapshot(ctx context.Context, room, viewer string) (*Snapshot, error) {
	if err := s.mayReach(ctx, viewer, room); err != nil {
		return nil, err
	}
	r, err := s.db.Client.Room.Get(ctx, room)
	if ent.IsNotFound(err) || (err == nil && r.Closed) {
		return nil, ErrRoomClosed
	}
	if err != nil {
		return nil, err
	}
	all, err := s.db.Client.Presence.Query().Where(presence.RoomID(room)).Order(ent.Asc(presence.FieldRuid)).All(ctx)
	if err != nil {
		return nil, err
	}
	snap := &Snapshot{RoomID: room, Members: make([]Member, 0, len(all)), Hands: []string{}}
	if r.LiveState != nil {
		snap.Live = JSON(*r.LiveState)
	}
	host := false
	for _, p := range all {
		snap.Members = append(snap.Members, memberOf(p))
		host = host || (p.UID == viewer && p.Role == RoleHost)
	}
	pins, err := s.db.Client.RoomPin.Query().Where(roompin.RoomID(room)).
		Order(ent.Asc(roompin.FieldCreateTime), ent.Asc(roompin.FieldID)).All(ctx)
	if err != nil {
		return nil, err
	}
	for _, p := range pins {
		snap.Pins = append(snap.Pins, pinOf(p))
	}
	if host {
		snap.Hands, err = s.db.Client.RoomRequest.Query().
			Where(roomrequest.RoomID(room), roomrequest.Kind(kindHand)).
			Order(ent.Asc(roomrequest.FieldCreateTime), ent.Asc(roomrequest.FieldID)).
			Select(roomrequest.FieldUID).Strings(ctx)
	}
	return snap, err
}

// Leave ends uid's presence in room from outside a connection (GraphQL
// leaveRoom): every connection of uid in the room is told to close, and the
// leave is processed as if the current one had closed.
func (s *Service) Leave(ctx context.Context, room, uid string) error {
	if err := s.mayReach(ctx, uid, room); err != nil {
		return err
	}
	p, err := s.db.Client.Presence.Query().Where(presence.RoomID(room), presence.UID(uid)).Only(ctx)
	if ent.IsNotFound(err) {
		return ErrNotMember
	}
	if err != nil {
		return err
	}
	if err := s.leave(ctx, room, uid, p.ConnID, true); err != nil {
		return err
	}
	s.publish(ctx, envelope{Kind: kindCloseConn, Room: room, Conn: p.ConnID})
	return nil
}
