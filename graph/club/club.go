// Package club owns clubs (圈子) and their memberships (spec §2.3): creating,
// joining and leaving, and reading clubs in batches together with their
// member count and whether the viewer has joined, in one statement.
package club

import (
	"context"
	stdsql "database/sql"
	"errors"
	"fmt"
	"strconv"
	"time"

	"chaoqer/ent"
	entclub "chaoqer/ent/club"
	"chaoqer/ent/clubmember"
	"chaoqer/ent/entdb"
	"chaoqer/graph/errs"
	"chaoqer/graph/ids"
	"chaoqer/graph/page"
	"chaoqer/graph/relay"
	"chaoqer/graph/text"
)

// Messages of the club endpoints.
const (
	msgNoName             = "名称不能为空"
	msgLongName           = "名称不能超过100个字"
	msgNoCover            = "封面不能为空"
	msgCreatorCannotLeave = "创建人暂时无法退出圈子"
)

// MaxNameLen is the longest club name, in UTF-16 units.
const MaxNameLen = 100

// Club is a club as seen by the viewer of the request.
type Club struct {
	ID          string
	UID         string // the creator
	Name        string
	Cover       string
	CreateTime  int64
	MemberTotal int
	Joined      bool // the viewer is a member
	// Computed are the fields loaded; the others are zero, not known.
	Computed Fields
}

// NodeID is the club's Relay global id.
func (c *Club) NodeID() string { return relay.ID(relay.Club, c.ID) }

// Membership is one club in a user's list of joined clubs.
type Membership struct {
	ClubID     string
	CreateTime int64 // when the user joined
	SequenceID string
}

// Cursor is the membership's legacy sequenceId "{joinTime}:{clubId}".
func (m *Membership) Cursor() string { return m.SequenceID }

// Input is what creating a club takes; nil fields are missing parameters.
type Input struct {
	Name  *string
	Cover *string
}

func (in Input) validate() error {
	if text.Blank(in.Name) {
		return errs.Failure(msgNoName)
	}
	if text.Len(*in.Name) > MaxNameLen {
		return errs.Failure(msgLongName)
	}
	if text.Blank(in.Cover) {
		return errs.Failure(msgNoCover)
	}
	return nil
}

// Service implements clubs and memberships.
type Service struct {
	db      *ent.Client
	store   *entdb.DB
	dialect string
	now     func() time.Time

	// OnDelete, if set, runs inside the transaction that deletes a club
	// (its last member, the creator, left); an error rolls the leave back.
	// The server sets it to room.Service.CloseClubRooms: a club's rooms
	// close with it rather than keep the club alive until they close,
	// since once nobody is a member only their creators and invited users
	// could still reach them, and a clubId would lead nowhere. Set it
	// before the server starts serving.
	OnDelete func(ctx context.Context, tx *ent.Tx, clubID string) error
}

// New returns the club service.
func New(db *entdb.DB) *Service {
	return &Service{db: db.Client, store: db, dialect: db.Dialect, now: time.Now}
}

// SetClock replaces the time source (tests).
func (s *Service) SetClock(now func() time.Time) { s.now = now }

// Create makes a club owned by uid, with uid as its first member (admin), in
// one transaction, and returns its id.
func (s *Service) Create(ctx context.Context, uid string, in Input) (string, error) {
	if err := in.validate(); err != nil {
		return "", err
	}
	id := ids.New()
	nowMs := ids.Ms(s.now())
	err := entdb.WithTx(ctx, s.db, func(tx *ent.Tx) error {
		err := tx.Club.Create().SetID(id).SetUID(uid).SetName(text.Name(*in.Name)).SetCover(*in.Cover).
			SetCreateTime(nowMs).Exec(ctx)
		if err != nil {
			return err
		}
		return tx.ClubMember.Create().SetClubID(id).SetUID(uid).SetAdmin(true).
			SetCreateTime(nowMs).SetSequenceID(ids.Seq(nowMs, id)).Exec(ctx)
	})
	if err != nil {
		return "", err
	}
	return id, nil
}

// Fields are the computed parts of a club: each costs a subquery per club,
// so a statement computes only those the operation selects.
type Fields uint8

// The computed parts of a club.
const (
	FieldMemberTotal Fields = 1 << iota // Club.MemberTotal (memberTotal)
	FieldJoined                         // Club.Joined (viewerHasJoined)

	// AllFields are every computed part.
	AllFields = FieldMemberTotal | FieldJoined
)

// The parts of the clubs statement: the stored columns, then the computed
// ones in the order of Fields (Joined takes the viewer), then the dialect's
// "id in list" condition (see entdb.InList).
const (
	clubColumns       = `c.id, c.uid, c.name, c.cover, c.create_time`
	memberTotalColumn = `,
  (SELECT COUNT(*) FROM club_members m WHERE m.club_id = c.id)`
	joinedColumn = `,
  EXISTS (SELECT 1 FROM club_members j WHERE j.club_id = c.id AND j.uid = ?)`
	clubsFrom = `
FROM clubs c WHERE %s`
)

// ClubsSQL is the clubs statement that computes fields (tests read it).
func ClubsSQL(fields Fields, inList string) string {
	return "SELECT " + Columns(fields) + fmt.Sprintf(clubsFrom, inList)
}

// Columns are the columns of the clubs statement that computes
// fields, reading the clubs table as c: the stored columns, then the
// computed ones in the order of Fields; FieldJoined takes the viewer's uid
// as its one placeholder. Statements that read clubs along with something
// else (the room feed joins them) select these, so that a club reads the
// same whichever statement loaded it.
func Columns(fields Fields) string {
	q := clubColumns
	if fields&FieldMemberTotal != 0 {
		q += memberTotalColumn
	}
	if fields&FieldJoined != 0 {
		q += joinedColumn
	}
	return q
}

// SQLFields is what a statement for viewerUID ("" = anonymous) computes of
// fields: an anonymous viewer joined nothing, so Joined is not read.
func SQLFields(viewerUID string, fields Fields) Fields {
	if viewerUID == "" {
		fields &^= FieldJoined
	}
	return fields & AllFields
}

// JoinedRow scans the Columns of a club read through a LEFT JOIN, where a
// room without a club (or whose club was deleted) has NULL columns.
type JoinedRow struct {
	id, uid, name, cover stdsql.NullString
	createTime           stdsql.NullInt64
	memberTotal          stdsql.NullInt64
	joined               stdsql.NullBool
	fields, computed     Fields
}

// NewJoinedRow scans the columns of Columns(SQLFields(viewerUID, fields)).
func NewJoinedRow(viewerUID string, fields Fields) *JoinedRow {
	return &JoinedRow{fields: SQLFields(viewerUID, fields), computed: fields & AllFields}
}

// Dest appends the scan targets of the columns to dest.
func (j *JoinedRow) Dest(dest []any) []any {
	dest = append(dest, &j.id, &j.uid, &j.name, &j.cover, &j.createTime)
	if j.fields&FieldMemberTotal != 0 {
		dest = append(dest, &j.memberTotal)
	}
	if j.fields&FieldJoined != 0 {
		dest = append(dest, &j.joined)
	}
	return dest
}

// Club is the club last scanned, as Clubs would load it; nil when the row
// had none.
func (j *JoinedRow) Club() *Club {
	if !j.id.Valid {
		return nil
	}
	return &Club{ID: j.id.String, UID: j.uid.String, Name: j.name.String, Cover: j.cover.String,
		CreateTime: j.createTime.Int64, MemberTotal: int(j.memberTotal.Int64), Joined: j.joined.Bool,
		Computed: j.computed}
}

// Clubs loads the clubs with the given ids as seen by viewerUID ("" =
// anonymous), computing the given fields (the others stay zero;
// Club.Computed says which are set); missing clubs are absent from the map.
// One statement, prepared once per set of fields and form of the id
// condition (entdb.InKeys).
func (s *Service) Clubs(ctx context.Context, viewerUID string, clubIDs []string, fields Fields) (map[string]*Club, error) {
	out := make(map[string]*Club, len(clubIDs))
	if len(clubIDs) == 0 {
		return out, nil
	}
	computed := fields & AllFields
	fields = SQLFields(viewerUID, fields)
	form, cond, list := s.store.InKeys("c.id", clubIDs)
	stmt, err := s.store.Stmt("club.clubs."+form+"."+strconv.Itoa(int(fields)), func() string {
		return ClubsSQL(fields, cond)
	})
	if err != nil {
		return nil, err
	}
	args := make([]any, 0, 2)
	if fields&FieldJoined != 0 {
		args = append(args, viewerUID)
	}
	rows, err := stmt.QueryContext(ctx, append(args, list)...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	dest := make([]any, 0, 7)
	for rows.Next() {
		c := &Club{Computed: computed}
		dest = append(dest[:0], &c.ID, &c.UID, &c.Name, &c.Cover, &c.CreateTime)
		if fields&FieldMemberTotal != 0 {
			dest = append(dest, &c.MemberTotal)
		}
		if fields&FieldJoined != 0 {
			dest = append(dest, &c.Joined)
		}
		if err := rows.Scan(dest...); err != nil {
			return nil, err
		}
		out[c.ID] = c
	}
	return out, rows.Err()
}

// Club loads one club as seen by viewerUID, computing fields; 500000 when
// there is none.
func (s *Service) Club(ctx context.Context, viewerUID, clubID string, fields Fields) (*Club, error) {
	if !ids.Valid(clubID) {
		return nil, errs.ClubNotFound
	}
	m, err := s.Clubs(ctx, viewerUID, []string{clubID}, fields)
	if err != nil {
		return nil, err
	}
	c, ok := m[clubID]
	if !ok {
		return nil, errs.ClubNotFound
	}
	return c, nil
}

// IsMember reports whether uid is a member of the club.
func (s *Service) IsMember(ctx context.Context, uid, clubID string) (bool, error) {
	return s.db.ClubMember.Query().Where(clubmember.ClubID(clubID), clubmember.UID(uid)).Exist(ctx)
}

// holdMembershipSQL reads a membership and, on PostgreSQL, keeps it from
// being deleted until the transaction ends (SQLite transactions are
// immediate: one writer at a time).
const holdMembershipSQL = `SELECT 1 FROM ` + clubmember.Table + ` WHERE ` + clubmember.FieldClubID + ` = ? AND ` + clubmember.FieldUID + ` = ?`

// HoldMembership reports, inside tx, whether uid is a member of the club,
// and keeps the membership until tx ends: a room created in tx then cannot
// miss the close of the club's rooms when the club is deleted (Leave
// deletes the memberships before OnDelete runs, so it waits for tx).
func (s *Service) HoldMembership(ctx context.Context, tx *ent.Tx, uid, clubID string) (bool, error) {
	q := holdMembershipSQL
	if s.store.IsPostgres() {
		q += " FOR SHARE"
	}
	rows, err := tx.QueryContext(ctx, entdb.Rebind(s.dialect, q), clubID, uid)
	if err != nil {
		return false, err
	}
	defer rows.Close()
	found := rows.Next()
	return found, rows.Err()
}

// Join makes uid a member of the club; joining twice changes nothing. The
// club's open rooms show in the member's feed from then on (the feed is
// derived from memberships).
func (s *Service) Join(ctx context.Context, uid, clubID string) error {
	if !ids.Valid(clubID) {
		return errs.ClubNotFound
	}
	exists, err := s.db.Club.Query().Where(entclub.ID(clubID)).Exist(ctx)
	if err != nil {
		return err
	}
	if !exists {
		return errs.ClubNotFound
	}
	nowMs := ids.Ms(s.now())
	err = s.db.ClubMember.Create().SetClubID(clubID).SetUID(uid).SetAdmin(false).
		SetCreateTime(nowMs).SetSequenceID(ids.Seq(nowMs, clubID)).
		OnConflictColumns(clubmember.FieldClubID, clubmember.FieldUID).DoNothing().
		Exec(ctx)
	if errors.Is(err, stdsql.ErrNoRows) {
		return nil // already a member (ent reports the skipped insert so)
	}
	return err
}

// deleteIfAloneSQL deletes a club unless a member other than its creator
// remains; the check and the delete are one statement, so a concurrent
// leave cannot slip between them.
const deleteIfAloneSQL = `DELETE FROM clubs WHERE id = ?
  AND NOT EXISTS (SELECT 1 FROM club_members m WHERE m.club_id = ? AND m.uid <> ?)`

// Leave ends uid's membership. The creator may leave only as the last
// member, which deletes the club and, through OnDelete in the same
// transaction, closes its open rooms.
func (s *Service) Leave(ctx context.Context, uid, clubID string) error {
	if !ids.Valid(clubID) {
		return errs.ClubNotFound
	}
	c, err := s.db.Club.Query().Where(entclub.ID(clubID)).Only(ctx)
	if ent.IsNotFound(err) {
		return errs.ClubNotFound
	}
	if err != nil {
		return err
	}
	if c.UID != uid {
		n, err := s.db.ClubMember.Delete().Where(clubmember.ClubID(clubID), clubmember.UID(uid)).Exec(ctx)
		if err != nil {
			return err
		}
		if n == 0 {
			return errs.ClubNotFound
		}
		return nil
	}
	return entdb.WithTx(ctx, s.db, func(tx *ent.Tx) error {
		// The club goes only while nobody else is a member, checked in the
		// same statement that deletes it.
		res, err := tx.ExecContext(ctx, entdb.Rebind(s.dialect, deleteIfAloneSQL), clubID, clubID, uid)
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		if err != nil {
			return err
		}
		if n == 0 {
			return errs.Failure(msgCreatorCannotLeave)
		}
		// Deleting the memberships waits for any transaction holding one
		// (HoldMembership: a club room being created), so OnDelete then
		// sees that room too.
		if _, err := tx.ClubMember.Delete().Where(clubmember.ClubID(clubID)).Exec(ctx); err != nil {
			return err
		}
		if s.OnDelete != nil {
			return s.OnDelete(ctx, tx, clubID)
		}
		return nil
	})
}

// Joined lists the clubs uid joined, most recent first.
func (s *Service) Joined(ctx context.Context, uid string, args page.Args) ([]*Membership, page.Info, error) {
	q := s.db.ClubMember.Query().Where(clubmember.UID(uid)).
		Order(ent.Desc(clubmember.FieldSequenceID), ent.Desc(clubmember.FieldClubID)).Limit(args.First + 1)
	if args.After != "" {
		q.Where(clubmember.SequenceIDLT(args.After))
	}
	rows, err := q.All(ctx)
	if err != nil {
		return nil, page.Info{}, err
	}
	items := make([]*Membership, len(rows))
	for i, r := range rows {
		items[i] = &Membership{ClubID: r.ClubID, CreateTime: r.CreateTime, SequenceID: r.SequenceID}
	}
	items, info := page.Trim(items, args.First, (*Membership).Cursor)
	return items, info, nil
}
