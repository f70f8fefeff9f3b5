// Package room owns live audio rooms (活动, spec §2.4): creating them, the
// room feed, who may reach a room, Agora tokens, closing, invitations and
// share snapshots.
//
// Who is in a room right now is the live presence kept in room_presences by
// the WebSocket hub; this package only reads it. Who may reach a room at all
// is one rule, Allows (spec §12 S5), applied through CheckAccess by every
// entry point that takes a room (see access.go). On top of it a room is
// shown to a viewer while it is open and somebody is connected, or the
// viewer created it (then, while nobody is connected, its member list is
// just the creator and its member total 0).
package room

import (
	"context"
	"fmt"
	"strings"
	"time"

	"chaoqer/ent"
	"chaoqer/ent/entdb"
	entroom "chaoqer/ent/room"
	"chaoqer/graph/agora"
	"chaoqer/graph/club"
	"chaoqer/graph/errs"
	"chaoqer/graph/ids"
	"chaoqer/graph/kvstore"
	"chaoqer/graph/message"
	"chaoqer/graph/relay"
	"chaoqer/graph/text"
	"chaoqer/graph/user"
)

// Messages and limits of the room endpoints.
const (
	MsgInvited   = "邀请成功"
	msgNoName    = "标题不能为空"
	msgLongName  = "标题不能超过100个字"
	MaxNameLen   = 100
	MaxMembers   = 6 // profiles shown in a room's member list
	roleHost     = 2
	snapshotTTL  = 30 * 24 * time.Hour
	inviteDedupe = 500 * time.Millisecond
)

// Room is a stored room.
type Room struct {
	ID         string
	UID        string // the creator
	Name       *string
	ClubID     *string
	InviteOnly bool
	Closed     bool
	CreateTime int64
	SequenceID string
	// Presence is who is connected, when already loaded with the room
	// (nil otherwise: resolvers then load it in a batch).
	Presence *Presence
	// memberUID is a user known to be a member of the room's club (the
	// feed's viewer, for rooms of their clubs), for Visible.
	memberUID string

	// Creator, Club and Members are what the GraphQL fields of those names
	// show to the request's viewer: the graph layer attaches them, to a
	// copy of the room, from its batch loads before the room is marshalled
	// (graph/prefetch.go), so that gqlgen marshals them inline rather than
	// on a goroutine per field. Nil when not selected.
	Creator *user.Profile
	Club    *club.Club
	Members []*user.Profile
}

// NodeID is the room's Relay global id.
func (r *Room) NodeID() string { return relay.ID(relay.Room, r.ID) }

// MemberTotal is how many users are connected (0 when Presence is not
// loaded).
func (r *Room) MemberTotal() int {
	if r.Presence == nil {
		return 0
	}
	return r.Presence.Total
}

// Presence summarises who is connected to a room.
type Presence struct {
	// Total is how many users are connected.
	Total int
	// UIDs are up to MaxMembers connected users: hosts first, then in join
	// order (ruid).
	UIDs []string
}

// Visible reports whether viewerUID may see r in a list (the feed, an
// event's room) without another statement: r must be open, allowed by
// Allows from what is already known (the viewer created it, is connected
// among p.UIDs, or is a member of its club when the list came from the
// viewer's memberships), and somebody must be connected unless the viewer
// created it. Facts not loaded count as false, so a list never shows more
// than CheckAccess would.
func Visible(viewerUID string, r *Room, p *Presence) bool {
	if r == nil || r.Closed {
		return false
	}
	creator := viewerUID != "" && viewerUID == r.UID
	rel := Relation{Creator: creator, ClubMember: viewerUID != "" && r.memberUID == viewerUID}
	if p != nil && viewerUID != "" {
		for _, uid := range p.UIDs {
			rel.Connected = rel.Connected || uid == viewerUID
		}
	}
	return Allows(r, rel) && (creator || (p != nil && p.Total > 0))
}

// MemberUIDs is the room's member list as viewerUID sees it: the connected
// users, or, while nobody is connected, the creator for the creator.
func MemberUIDs(viewerUID string, r *Room, p *Presence) []string {
	if p != nil && p.Total > 0 {
		return p.UIDs
	}
	if viewerUID == r.UID {
		return []string{r.UID}
	}
	return nil
}

// Input is what creating a room takes; nil fields are missing parameters.
type Input struct {
	Name       *string
	ClubID     *string
	InviteOnly *int
}

// Service implements rooms.
type Service struct {
	db       *ent.Client
	store    *entdb.DB
	dialect  string
	clubs    *club.Service
	users    *user.Service
	messages *message.Service
	kv       *kvstore.Store
	tokens   agora.Builder
	now      func() time.Time

	// OnClose, if set, is called after a room has been closed (by its host,
	// its creator or Close), e.g. to tell the room's sockets. Set it before
	// the server starts serving.
	OnClose func(ctx context.Context, roomID string)
}

// New returns the room service.
func New(db *entdb.DB, clubs *club.Service, users *user.Service, messages *message.Service, kv *kvstore.Store, tokens agora.Builder) *Service {
	return &Service{db: db.Client, store: db, dialect: db.Dialect, clubs: clubs, users: users, messages: messages,
		kv: kv, tokens: tokens, now: time.Now}
}

// SetClock replaces the time source (tests).
func (s *Service) SetClock(now func() time.Time) { s.now = now }

// Create opens a room created by uid. A positive inviteOnly makes it private
// (and drops the club); otherwise a club id makes it a room of that club,
// which uid must be a member of; any other room is public.
func (s *Service) Create(ctx context.Context, uid string, in Input) (*Room, error) {
	if in.Name == nil {
		return nil, errs.Failure(msgNoName)
	}
	if text.Len(*in.Name) > MaxNameLen {
		return nil, errs.Failure(msgLongName)
	}
	private := in.InviteOnly != nil && *in.InviteOnly > 0
	if private || text.Blank(in.ClubID) {
		return s.insert(ctx, s.db, uid, *in.Name, "", private)
	}
	clubID := strings.TrimSpace(*in.ClubID)
	if !ids.Valid(clubID) {
		return nil, errs.ClubNotFound
	}
	// The membership is held while the room is inserted, so the club
	// cannot be deleted in between and leave the room open without it.
	var r *Room
	err := entdb.WithTx(ctx, s.db, func(tx *ent.Tx) error {
		member, err := s.clubs.HoldMembership(ctx, tx, uid, clubID)
		if err != nil {
			return err
		}
		if !member {
			return errs.ClubNotFound
		}
		r, err = s.insert(ctx, tx.Client(), uid, *in.Name, clubID, false)
		return err
	})
	return r, err
}

// CreatePublic opens a public room created by uid through client (e.g. inside
// the caller's transaction); starting an event uses it.
func (s *Service) CreatePublic(ctx context.Context, client *ent.Client, uid, name string) (*Room, error) {
	return s.insert(ctx, client, uid, name, "", false)
}

func (s *Service) insert(ctx context.Context, client *ent.Client, uid, name, clubID string, private bool) (*Room, error) {
	nowMs := ids.Ms(s.now())
	r := &Room{ID: ids.New(), UID: uid, InviteOnly: private, CreateTime: nowMs, Presence: &Presence{}}
	r.SequenceID = ids.Seq(nowMs, r.ID)
	c := client.Room.Create().SetID(r.ID).SetUID(uid).SetInviteOnly(boolInt(private)).SetClosed(false).
		SetCreateTime(nowMs).SetSequenceID(r.SequenceID).
		SetEmptySince(nowMs) // nobody is connected yet
	if name = text.Name(name); name != "" {
		r.Name = &name
		c.SetName(name)
	}
	if clubID != "" {
		r.ClubID = &clubID
		c.SetClubID(clubID)
	}
	if err := c.Exec(ctx); err != nil {
		return nil, err
	}
	return r, nil
}

// Rooms loads rooms by id, open or closed; missing ones are absent.
func (s *Service) Rooms(ctx context.Context, roomIDs []string) (map[string]*Room, error) {
	out := make(map[string]*Room, len(roomIDs))
	if len(roomIDs) == 0 {
		return out, nil
	}
	rows, err := s.db.Room.Query().Where(entroom.IDIn(roomIDs...)).
		Select(entroom.FieldID, entroom.FieldUID, entroom.FieldName, entroom.FieldClubID,
			entroom.FieldInviteOnly, entroom.FieldClosed, entroom.FieldCreateTime, entroom.FieldSequenceID).
		All(ctx)
	if err != nil {
		return nil, err
	}
	for _, r := range rows {
		out[r.ID] = fromEnt(r)
	}
	return out, nil
}

func fromEnt(r *ent.Room) *Room {
	return &Room{ID: r.ID, UID: r.UID, Name: r.Name, ClubID: r.ClubID, InviteOnly: r.InviteOnly > 0,
		Closed: r.Closed, CreateTime: r.CreateTime, SequenceID: r.SequenceID}
}

// load reads one room, open or closed; 400000 when there is none.
func (s *Service) load(ctx context.Context, roomID string) (*Room, error) {
	if !ids.Valid(roomID) {
		return nil, errs.RoomNotFound
	}
	m, err := s.Rooms(ctx, []string{roomID})
	if err != nil {
		return nil, err
	}
	r, ok := m[roomID]
	if !ok {
		return nil, errs.RoomNotFound
	}
	return r, nil
}

// Get reads a room as viewerUID sees it (spec R2): open, allowed by
// CheckAccess, and with somebody connected unless the viewer created it;
// 400000 otherwise. The room comes with its presence. It is GetAll for one
// id, so Query.room (and so GET /room/{id}) and node(id:) answer alike.
func (s *Service) Get(ctx context.Context, viewerUID, roomID string) (*Room, error) {
	if !ids.Valid(roomID) {
		return nil, errs.RoomNotFound
	}
	m, err := s.GetAll(ctx, viewerUID, []string{roomID})
	if err != nil {
		return nil, err
	}
	r, ok := m[roomID]
	if !ok {
		return nil, errs.RoomNotFound
	}
	return r, nil
}

// GetAll reads the rooms of roomIDs that viewerUID may see (spec R2): open,
// allowed by the access rule (Allows, as CheckAccess applies it), and with
// somebody connected unless the viewer created them. The others are absent
// from the map; the rooms come with their presence. At most three
// statements whatever the number of ids.
func (s *Service) GetAll(ctx context.Context, viewerUID string, roomIDs []string) (map[string]*Room, error) {
	rooms, err := s.Rooms(ctx, roomIDs)
	if err != nil {
		return nil, err
	}
	var open []string
	var ask []*Room
	for id, r := range rooms {
		if r.Closed {
			delete(rooms, id)
			continue
		}
		open = append(open, id)
		if !Allows(r, Relation{Creator: viewerUID != "" && viewerUID == r.UID}) {
			ask = append(ask, r)
		}
	}
	rels, err := s.relations(ctx, viewerUID, ask)
	if err != nil {
		return nil, err
	}
	for _, r := range ask {
		if !Allows(r, rels[r.ID]) {
			delete(rooms, r.ID)
		}
	}
	ps, err := s.Presences(ctx, open)
	if err != nil {
		return nil, err
	}
	for id, r := range rooms {
		r.Presence = ps[id]
		if r.Presence.Total == 0 && viewerUID != r.UID {
			delete(rooms, id)
		}
	}
	return rooms, nil
}

// presenceSQL reads, for every room at once, how many users are connected
// and the first MaxMembers of them (hosts first, then by ruid). The %s is
// the dialect's "id in list" condition (entdb.InList).
const presenceSQL = `SELECT x.room_id, x.uid, x.total FROM (
  SELECT p.room_id, p.uid,
    COUNT(*) OVER (PARTITION BY p.room_id) AS total,
    ROW_NUMBER() OVER (PARTITION BY p.room_id
      ORDER BY ` + presenceOrder + `) AS rn
  FROM room_presences p WHERE %s
) x WHERE x.rn <= ? ORDER BY x.room_id, x.rn`

// presenceOrder is the order of a room's members (p, room_presences): hosts
// (role 2) first, then join order (ruid); the uid breaks ties.
const presenceOrder = `CASE WHEN p.role = 2 THEN 0 ELSE 1 END, p.ruid, p.uid`

// presenceLateralSQL is presenceSQL on PostgreSQL, with the same rows: for
// each room, the members come from one index range of presence_room_id_ruid,
// are counted before the cut and sorted and cut per room (a room has a few
// dozen members at most), instead of sorting every member of every room
// together and numbering them with window functions. On the issue 13 data
// set (a card page of 20 rooms, 166 members) that halves the statement's
// time. A room nobody is connected to has no row, as in presenceSQL; the
// nested loop a LATERAL join runs as keeps each room's rows in the order of
// its ORDER BY.
const presenceLateralSQL = `SELECT k.room_id, m.uid, m.total
FROM unnest(CAST(? AS varchar[])) AS k(room_id)
CROSS JOIN LATERAL (
  SELECT p.uid, COUNT(*) OVER () AS total
  FROM room_presences p WHERE p.room_id = k.room_id
  ORDER BY ` + presenceOrder + ` LIMIT ?
) m`

// Presences loads who is connected to each room; every requested room is in
// the map (an empty Presence when nobody is connected). One statement.
func (s *Service) Presences(ctx context.Context, roomIDs []string) (map[string]*Presence, error) {
	out := make(map[string]*Presence, len(roomIDs))
	if len(roomIDs) == 0 {
		return out, nil
	}
	keys := make([]string, 0, len(roomIDs))
	for _, id := range roomIDs {
		if out[id] == nil { // a repeated id must not repeat its rows
			out[id] = &Presence{}
			keys = append(keys, id)
		}
	}
	stmt, err := s.store.Stmt("room.presence", func() string {
		if s.store.IsPostgres() {
			return presenceLateralSQL
		}
		return fmt.Sprintf(presenceSQL, s.store.InList("p.room_id"))
	})
	if err != nil {
		return nil, err
	}
	rows, err := stmt.QueryContext(ctx, s.store.StringList(keys), MaxMembers)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var roomID, uid string
		var total int
		if err := rows.Scan(&roomID, &uid, &total); err != nil {
			return nil, err
		}
		p := out[roomID]
		if p == nil {
			continue
		}
		p.Total = total
		p.UIDs = append(p.UIDs, uid)
	}
	return out, rows.Err()
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
