package club

import (
	"context"
	"strings"

	"chaoqer/graph/page"
	"chaoqer/graph/user"
)

// MemberPage is one club's page of members (Club.members).
type MemberPage struct {
	Items []*user.Entry
	Info  page.Info
}

// memberPagesPostgres and memberPagesSQLite read, for every club in the first
// parameter (entdb.StringList), its member page ({cursor} is the condition
// on the page's continuation): on PostgreSQL one walk of the (club_id,
// sequence_id, uid) index per club (LATERAL ... LIMIT); on SQLite, which has
// no LATERAL, the clubs' members numbered per club. Rows come per club, most
// recent first.
const (
	memberPagesPostgres = `SELECT m.club_id, m.uid, m.create_time, m.sequence_id
FROM unnest(?::text[]) AS k(id) CROSS JOIN LATERAL (
  SELECT club_id, uid, create_time, sequence_id FROM club_members
  WHERE club_id = k.id{cursor}
  ORDER BY sequence_id DESC, uid DESC LIMIT ?) m
ORDER BY m.club_id, m.sequence_id DESC, m.uid DESC`
	memberPagesSQLite = `SELECT club_id, uid, create_time, sequence_id FROM (
  SELECT club_id, uid, create_time, sequence_id,
    ROW_NUMBER() OVER (PARTITION BY club_id ORDER BY sequence_id DESC, uid DESC) AS n
  FROM club_members WHERE club_id IN (SELECT value FROM json_each(?)){cursor}
) WHERE n <= ? ORDER BY club_id, sequence_id DESC, uid DESC`
)

// MemberPages reads the member page args selects of every club in clubIDs,
// in one statement whatever their number (a single club, or the clubs of a
// list each showing their members). A page lists members most recent first
// (sequence_id, then uid, descending). The stored sequence_id is the legacy
// "{joinTime}:{clubId}", the same for members who joined in the same
// millisecond, so an item's cursor (its sequenceId in REST) is page.SeqTie:
// "{joinTime}:{clubId}:{uid}" (spec §12 B5); a legacy two-part cursor pages
// strictly after its millisecond, as before (spec §2.3 C4). A club without
// members has an empty page; every club in clubIDs is in the map.
func (s *Service) MemberPages(ctx context.Context, clubIDs []string, args page.Args) (map[string]*MemberPage, error) {
	out := make(map[string]*MemberPage, len(clubIDs))
	if len(clubIDs) == 0 {
		return out, nil
	}
	qargs := []any{s.store.StringList(clubIDs)}
	var cursor, form string
	switch {
	case args.After == "":
		form = "0"
	case args.Tie == "":
		form, cursor = "1", " AND sequence_id < ?"
		qargs = append(qargs, args.After)
	default:
		form, cursor = "2", " AND (sequence_id, uid) < (?, ?)"
		qargs = append(qargs, args.After, args.Tie)
	}
	qargs = append(qargs, args.First+1)
	stmt, err := s.store.Stmt("club.memberPages."+form, func() string {
		q := memberPagesSQLite
		if s.store.IsPostgres() {
			q = memberPagesPostgres
		}
		return strings.Replace(q, "{cursor}", cursor, 1)
	})
	if err != nil {
		return nil, err
	}
	rows, err := stmt.QueryContext(ctx, qargs...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	byClub := make(map[string][]*user.Entry, len(clubIDs))
	for rows.Next() {
		var clubID, seq string
		e := &user.Entry{}
		if err := rows.Scan(&clubID, &e.UID, &e.CreateTime, &seq); err != nil {
			return nil, err
		}
		e.SequenceID = page.TieCursor(seq, e.UID)
		byClub[clubID] = append(byClub[clubID], e)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for _, id := range clubIDs {
		items, info := page.Trim(byClub[id], args.First, (*user.Entry).Cursor)
		out[id] = &MemberPage{Items: items, Info: info}
	}
	return out, nil
}
