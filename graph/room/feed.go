package room

import (
	"context"
	stdsql "database/sql"
	"strconv"
	"strings"

	"chaoqer/graph/club"
	"chaoqer/graph/page"
)

// FeedItem is one room of a feed.
type FeedItem struct {
	RoomID     string
	CreateTime int64
	SequenceID string
	// Room is the room; its Presence is set when FeedWith.Presence asked
	// for it.
	Room *Room
	// Shown is Room as the GraphQL field RoomEntry.room shows it: nil while
	// the viewer may not see it (Visible), else a copy carrying what its
	// selected fields show. The graph layer sets it from its batch loads, so
	// that gqlgen marshals the field inline.
	Shown *Room
	// Club is the room's club as FeedWith.Clubs asked to read it (nil: the
	// room has no club, its club was deleted, or no club was asked for).
	Club *club.Club
}

// FeedWith is what Feed reads along with the rooms, in the same statement.
type FeedWith struct {
	// Presence reads who is connected to each room into Room.Presence, as
	// Presences would (a room nobody is in has an empty Presence).
	Presence bool
	// Clubs reads each room's club into FeedItem.Club, computing ClubFields
	// as club.Service.Clubs would for the same viewer.
	Clubs      bool
	ClubFields club.Fields
}

// Cursor is the item's legacy sequenceId "{roomCreateTime}:{roomId}".
func (f *FeedItem) Cursor() string { return f.SequenceID }

// feedSQL is the room feed in one statement (spec R3): segment 1 is the open
// rooms of the viewer's clubs, segment 2 the open public rooms, each newest
// first, segment 1 before segment 2. Placeholders: {club} and {public} are
// the extra conditions of each segment, which depend on the cursor.
const feedSQL = `SELECT id, uid, name, club_id, create_time, sequence_id, seg FROM (
  SELECT * FROM (
    SELECT r.id, r.uid, r.name, r.club_id, r.create_time, r.sequence_id, 1 AS seg
    FROM rooms r JOIN club_members m ON m.club_id = r.club_id
    WHERE m.uid = ? AND r.closed = ? AND r.invite_only = 0{club}
    ORDER BY r.sequence_id DESC LIMIT ?
  ) s1
  UNION ALL
  SELECT * FROM (
    SELECT r.id, r.uid, r.name, r.club_id, r.create_time, r.sequence_id, 2 AS seg
    FROM rooms r
    WHERE r.club_id IS NULL AND r.invite_only = 0 AND r.closed = ?{public}
    ORDER BY r.sequence_id DESC LIMIT ?
  ) s2
) f ORDER BY seg, sequence_id DESC LIMIT ?`

// feedWithSQL reads what FeedWith asks for in an outer select over the
// feed ({feed} is feedSQL), so that it is computed only for the page's rows
// (at most first+1):
// {columns} are the extra columns (the clubs statement's columns, then the
// presence), {join} the LEFT JOIN of the clubs when they are read.
const feedWithSQL = `SELECT fd.id, fd.uid, fd.name, fd.club_id, fd.create_time, fd.sequence_id, fd.seg{columns}
FROM ({feed}) fd{join}
ORDER BY fd.seg, fd.sequence_id DESC`

// feedClubsJoin joins the clubs statement's table (club.Columns reads c).
const feedClubsJoin = ` LEFT JOIN clubs c ON c.id = fd.club_id`

// feedPresencePostgres and feedPresenceSQLite are a feed room's presence
// as Presences reads it: how many users are connected, and the first {max}
// (MaxMembers) of their uids in presenceOrder, joined with ',' (uids are 32
// hex digits, ids.Valid); empty or NULL when nobody is connected. On PostgreSQL
// ARRAY(subquery) keeps the subquery's order by definition. On SQLite the
// order of the rows of a subquery in FROM is not guaranteed, so the rows are
// numbered and group_concat orders by the number itself (an aggregate ORDER
// BY, SQLite 3.44). Each subquery reads one index range of room_presences
// per room of the page.
const (
	feedPresencePostgres = `,
  (SELECT COUNT(*) FROM room_presences p WHERE p.room_id = fd.id),
  array_to_string(ARRAY(SELECT p.uid FROM room_presences p WHERE p.room_id = fd.id
    ORDER BY ` + presenceOrder + ` LIMIT {max}), ',')`
	feedPresenceSQLite = `,
  (SELECT COUNT(*) FROM room_presences p WHERE p.room_id = fd.id),
  (SELECT group_concat(m.uid, ',' ORDER BY m.n) FROM (
    SELECT p.uid, ROW_NUMBER() OVER (ORDER BY ` + presenceOrder + `) AS n
    FROM room_presences p WHERE p.room_id = fd.id ORDER BY n LIMIT {max}) m)`
)

// cursorInClub is true when the cursor's room belongs to a club, i.e. the
// cursor is in segment 1.
const cursorInClub = `EXISTS (SELECT 1 FROM rooms c WHERE c.id = ? AND c.club_id IS NOT NULL AND c.club_id <> '')`

// Feed lists the rooms uid may browse: the open rooms of uid's clubs, newest
// first, then the open public rooms, newest first. Private rooms never
// appear. A cursor "{ms}:{roomId}" continues in the segment of that room (a
// club room's cursor continues in segment 1 and then fills from the top of
// segment 2); a cursor without ':' continues in segment 1. with says what
// is read along with the rooms (their presence, their clubs). One
// statement.
func (s *Service) Feed(ctx context.Context, uid string, args page.Args, with FeedWith) ([]*FeedItem, page.Info, error) {
	limit := args.First + 1
	var clubCond, publicCond string
	var clubArgs, publicArgs []any
	switch after := args.After; {
	case after == "":
	case !strings.Contains(after, ":"):
		clubCond, clubArgs = " AND r.sequence_id < ?", []any{after}
	default:
		roomID := after[strings.LastIndex(after, ":")+1:]
		clubCond, clubArgs = " AND r.sequence_id < ? AND "+cursorInClub, []any{after, roomID}
		publicCond, publicArgs = " AND ("+cursorInClub+" OR r.sequence_id < ?)", []any{roomID, after}
	}
	var qargs []any
	// One prepared statement per form of the SQL: cursor kind (none,
	// segment 1, "ms:id"), with clubs the set of club columns, and with
	// presence.
	name := "room.feed" + strconv.Itoa(len(clubArgs))
	var (
		joined *club.JoinedRow
		fields club.Fields // the club columns read, with clubs
	)
	if with.Clubs {
		fields = club.SQLFields(uid, with.ClubFields)
		joined = club.NewJoinedRow(uid, with.ClubFields)
		name += ".clubs." + strconv.Itoa(int(fields))
		if fields&club.FieldJoined != 0 {
			qargs = append(qargs, uid) // the club columns come first
		}
	}
	if with.Presence {
		name += ".presence"
	}
	qargs = append(qargs, uid, false)
	qargs = append(qargs, clubArgs...)
	qargs = append(qargs, limit, false)
	qargs = append(qargs, publicArgs...)
	qargs = append(qargs, limit, limit)
	stmt, err := s.store.Stmt(name, func() string {
		q := strings.NewReplacer("{club}", clubCond, "{public}", publicCond).Replace(feedSQL)
		if !with.Clubs && !with.Presence {
			return q
		}
		var columns, join string
		if with.Clubs {
			columns, join = ", "+club.Columns(fields), feedClubsJoin
		}
		if with.Presence {
			presence := feedPresenceSQLite
			if s.store.IsPostgres() {
				presence = feedPresencePostgres
			}
			columns += strings.ReplaceAll(presence, "{max}", strconv.Itoa(MaxMembers))
		}
		return strings.NewReplacer("{columns}", columns, "{join}", join, "{feed}", q).Replace(feedWithSQL)
	})
	if err != nil {
		return nil, page.Info{}, err
	}
	rows, err := stmt.QueryContext(ctx, qargs...)
	if err != nil {
		return nil, page.Info{}, err
	}
	defer rows.Close()
	var items []*FeedItem
	dest := make([]any, 0, 16)
	var (
		total int
		uids  stdsql.NullString
	)
	for rows.Next() {
		r := &Room{}
		var seg int
		dest = append(dest[:0], &r.ID, &r.UID, &r.Name, &r.ClubID, &r.CreateTime, &r.SequenceID, &seg)
		if joined != nil {
			dest = joined.Dest(dest)
		}
		if with.Presence {
			dest = append(dest, &total, &uids)
		}
		if err := rows.Scan(dest...); err != nil {
			return nil, page.Info{}, err
		}
		if seg == 1 { // segment 1 comes from uid's club memberships
			r.memberUID = uid
		}
		if with.Presence {
			r.Presence = joinedPresence(total, uids.String)
		}
		it := &FeedItem{RoomID: r.ID, CreateTime: r.CreateTime, SequenceID: r.SequenceID, Room: r}
		if joined != nil {
			it.Club = joined.Club()
		}
		items = append(items, it)
	}
	if err := rows.Err(); err != nil {
		return nil, page.Info{}, err
	}
	items, info := page.Trim(items, args.First, (*FeedItem).Cursor)
	return items, info, nil
}

// joinedPresence is the Presence of a room whose total and ','-joined uids
// the feed statement read; empty pieces are skipped and at most MaxMembers
// kept, so a malformed list never shows more than Presences would.
func joinedPresence(total int, uids string) *Presence {
	p := &Presence{Total: total}
	if total == 0 {
		return p
	}
	for _, uid := range strings.Split(uids, ",") {
		if uid != "" && len(p.UIDs) < MaxMembers {
			p.UIDs = append(p.UIDs, uid)
		}
	}
	return p
}
