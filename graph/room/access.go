package room

import (
	"context"
	stdsql "database/sql"
	"errors"
	"fmt"

	"chaoqer/ent"
	"chaoqer/ent/card"
	"chaoqer/ent/clubmember"
	"chaoqer/ent/entdb"
	"chaoqer/ent/presence"
	entroom "chaoqer/ent/room"
	"chaoqer/ent/roominvite"
	"chaoqer/ent/roompin"
	"chaoqer/ent/roomrequest"
	"chaoqer/graph/agora"
	"chaoqer/graph/errs"
	"chaoqer/graph/ids"
	"chaoqer/graph/message"
	"chaoqer/graph/push"
)

// Relation is what the access rule knows about a viewer and a room.
type Relation struct {
	Creator    bool // the viewer created the room
	Invited    bool // the viewer was invited to it (R7, inviteToRoom)
	Connected  bool // the viewer is connected to it now (socket or subscription)
	ClubMember bool // the viewer is a member of the room's club
}

// Allows is the one access rule of rooms (spec §12 S5): whether a viewer
// in relation rel may reach r at all — read it, its live state and its
// token, join it, act in it, share it or invite to it. Its creator, users
// invited to it and users connected to it always may; beyond them, a
// private (invite-only) room admits nobody, a club room the members of its
// club, and a public room everyone. Whether the room is open is not part of
// the rule: each entry point adds what it needs (see CheckAccess).
func Allows(r *Room, rel Relation) bool {
	switch {
	case rel.Creator || rel.Invited || rel.Connected:
		return true
	case r.InviteOnly:
		return false
	case r.ClubID != nil && *r.ClubID != "":
		return rel.ClubMember
	default:
		return true
	}
}

// CheckAccess applies Allows for viewerUID ("" for an anonymous caller) to
// r, open or closed: nil when allowed, errs.RoomNotFound (400000 活动已解散,
// the answer for a missing room) when not, so a refused caller learns
// nothing, not even that the room exists. It costs no statement for public
// rooms and the creator, one otherwise.
//
// Every entry point that takes a room goes through it: Query.room and
// roomToken, liveRoom, roomEvents and every live-room mutation (through
// MayJoin), closeRoom, inviteToRoom, shareRoom, the legacy REST routes
// (they run those operations) and the legacy room socket (MayJoin). Lists
// use Visible, which applies the same rule to what they already loaded. A
// Relay node(id:) lookup of a Room must answer what Query.room answers:
// call Get, which checks this.
func (s *Service) CheckAccess(ctx context.Context, viewerUID string, r *Room) error {
	rel := Relation{Creator: viewerUID != "" && viewerUID == r.UID}
	if Allows(r, rel) {
		return nil
	}
	rels, err := s.relations(ctx, viewerUID, []*Room{r})
	if err != nil {
		return err
	}
	if viewerUID != "" && Allows(r, rels[r.ID]) {
		return nil
	}
	return errs.RoomNotFound
}

// relationsSQL reads, in one statement for a set of rooms (the %s, the
// room id condition of entdb.InKeys), whether a user is invited to each, connected to
// it, and a member of its club.
const relationsSQL = `SELECT r.` + entroom.FieldID + `,
  CASE WHEN EXISTS (SELECT 1 FROM ` + roominvite.Table + ` i WHERE i.` + roominvite.FieldRoomID + ` = r.` + entroom.FieldID + ` AND i.` + roominvite.FieldUID + ` = ?) THEN 1 ELSE 0 END,
  CASE WHEN EXISTS (SELECT 1 FROM ` + presence.Table + ` p WHERE p.` + presence.FieldRoomID + ` = r.` + entroom.FieldID + ` AND p.` + presence.FieldUID + ` = ?) THEN 1 ELSE 0 END,
  CASE WHEN EXISTS (SELECT 1 FROM ` + clubmember.Table + ` m WHERE m.` + clubmember.FieldClubID + ` = r.` + entroom.FieldClubID + ` AND m.` + clubmember.FieldUID + ` = ?) THEN 1 ELSE 0 END
FROM ` + entroom.Table + ` r WHERE %s`

// relations reads how uid relates to each of rooms (see Relation); a room
// missing from the answer, or an anonymous uid, relates only as creator
// (never, for ""). One statement, none when rooms is empty or uid is "".
func (s *Service) relations(ctx context.Context, uid string, rooms []*Room) (map[string]Relation, error) {
	out := make(map[string]Relation, len(rooms))
	if len(rooms) == 0 || uid == "" {
		return out, nil
	}
	roomIDs := make([]string, len(rooms))
	for i, r := range rooms {
		roomIDs[i] = r.ID
		out[r.ID] = Relation{Creator: uid == r.UID}
	}
	// One room (CheckAccess) compares with "=" (entdb.InKeys): 0.08 -> 0.01 ms
	// on the issue 13 data set, planning included.
	form, cond, list := s.store.InKeys("r."+entroom.FieldID, roomIDs)
	stmt, err := s.store.Stmt("room.relations."+form, func() string {
		return fmt.Sprintf(relationsSQL, cond)
	})
	if err != nil {
		return nil, err
	}
	rows, err := stmt.QueryContext(ctx, uid, uid, uid, list)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		var invited, connected, member int
		if err := rows.Scan(&id, &invited, &connected, &member); err != nil {
			return nil, err
		}
		rel := out[id]
		rel.Invited, rel.Connected, rel.ClubMember = invited > 0, connected > 0, member > 0
		out[id] = rel
	}
	return out, rows.Err()
}

// loadOpen reads one open room viewerUID may reach (CheckAccess); 400000
// otherwise.
func (s *Service) loadOpen(ctx context.Context, viewerUID, roomID string) (*Room, error) {
	r, err := s.load(ctx, roomID)
	if err != nil {
		return nil, err
	}
	if r.Closed {
		return nil, errs.RoomNotFound
	}
	if err := s.CheckAccess(ctx, viewerUID, r); err != nil {
		return nil, err
	}
	return r, nil
}

// MayJoin tells whether uid may connect to, read the live state of or act
// in the live room roomID: it must be open and CheckAccess must allow uid
// (400000 otherwise). The live service asks it before every join and every
// action or read that does not come from a connection, so the rule holds
// for the legacy WebSocket and the GraphQL subscription and mutations too.
func (s *Service) MayJoin(ctx context.Context, uid, roomID string) error {
	_, err := s.loadOpen(ctx, uid, roomID)
	return err
}

// ErrTokensUnavailable answers a token request on a server without Agora
// credentials.
var ErrTokensUnavailable = &errs.Error{Code: errs.CodeFailure, Message: "语音服务暂不可用（未配置声网凭证）", Kind: errs.KindUnavailable}

// blockedByHostSQL tells whether a host connected to the room has blocked uid.
const blockedByHostSQL = `SELECT CASE WHEN EXISTS (
  SELECT 1 FROM room_presences p JOIN user_blocks b ON b.uid = p.uid
  WHERE p.room_id = ? AND p.role = ? AND b.target_uid = ?
) THEN 1 ELSE 0 END`

// Token issues the Agora RTC token of a room to uid (spec R4): the room must
// be open and reachable (CheckAccess; 400000), and no host connected to it
// may have blocked uid (400001).
func (s *Service) Token(ctx context.Context, uid, roomID string) (string, error) {
	r, err := s.loadOpen(ctx, uid, roomID)
	if err != nil {
		return "", err
	}
	blocked, err := s.exists(ctx, blockedByHostSQL, r.ID, roleHost, uid)
	if err != nil {
		return "", err
	}
	if blocked {
		return "", errs.RoomBlocked
	}
	tok, err := s.tokens.RoomToken(r.ID, s.now())
	if errors.Is(err, agora.ErrNotConfigured) {
		return "", ErrTokensUnavailable
	}
	return tok, err
}

// CloseAs closes a room on uid's request (spec R5): the room must be open
// and reachable (CheckAccess), and uid its creator or connected to it as a
// host; 400000 otherwise.
func (s *Service) CloseAs(ctx context.Context, uid, roomID string) error {
	r, err := s.loadOpen(ctx, uid, roomID)
	if err != nil {
		return err
	}
	if r.UID != uid {
		host, err := s.db.Presence.Query().
			Where(presence.RoomID(r.ID), presence.UID(uid), presence.Role(roleHost)).Exist(ctx)
		if err != nil {
			return err
		}
		if !host {
			return errs.RoomNotFound
		}
	}
	return s.Close(ctx, r.ID)
}

// Close closes a room without any permission check: it is marked closed
// (which removes it from every feed) and its presence, pins and raised hands
// are deleted, in one transaction; then OnClose is called. Closing a closed
// or missing room does nothing (and calls no hook), so it is safe for the
// live service's automatic closes and for concurrent closes.
func (s *Service) Close(ctx context.Context, roomID string) error {
	closed := false
	err := entdb.WithTx(ctx, s.db, func(tx *ent.Tx) (err error) {
		closed, err = s.closeIn(ctx, tx, roomID)
		return err
	})
	if err != nil {
		return err
	}
	if closed && s.OnClose != nil {
		s.OnClose(ctx, roomID)
	}
	return nil
}

// CloseClubRooms closes every open room of clubID inside the caller's
// transaction tx, each as Close does, and calls OnClose for each once tx
// has committed (nothing is announced if it rolls back). The club service
// calls it in the transaction that deletes a club (club.Service.OnDelete),
// so no open room is left with a clubId that leads nowhere.
func (s *Service) CloseClubRooms(ctx context.Context, tx *ent.Tx, clubID string) error {
	roomIDs, err := tx.Room.Query().Where(entroom.ClubID(clubID), entroom.Closed(false)).IDs(ctx)
	if err != nil {
		return err
	}
	var closed []string
	for _, id := range roomIDs {
		ok, err := s.closeIn(ctx, tx, id)
		if err != nil {
			return err
		}
		if ok {
			closed = append(closed, id)
		}
	}
	if len(closed) == 0 || s.OnClose == nil {
		return nil
	}
	tx.OnCommit(func(next ent.Committer) ent.Committer {
		return ent.CommitFunc(func(ctx context.Context, tx *ent.Tx) error {
			if err := next.Commit(ctx, tx); err != nil {
				return err
			}
			for _, id := range closed {
				s.OnClose(ctx, id)
			}
			return nil
		})
	})
	return nil
}

// closeIn closes roomID inside tx if it is open (the steps of Close) and
// reports whether it did.
func (s *Service) closeIn(ctx context.Context, tx *ent.Tx, roomID string) (bool, error) {
	n, err := tx.Room.Update().Where(entroom.ID(roomID), entroom.Closed(false)).
		SetClosed(true).SetCloseTime(ids.Ms(s.now())).ClearLiveState().Save(ctx)
	if err != nil || n == 0 {
		return false, err
	}
	if _, err := tx.Presence.Delete().Where(presence.RoomID(roomID)).Exec(ctx); err != nil {
		return false, err
	}
	if _, err := tx.RoomPin.Delete().Where(roompin.RoomID(roomID)).Exec(ctx); err != nil {
		return false, err
	}
	_, err = tx.RoomRequest.Delete().Where(roomrequest.RoomID(roomID)).Exec(ctx)
	return err == nil, err
}

// Invite records that inviter invites invitee to an open room the inviter
// may reach (CheckAccess; 400000 otherwise); an invitation lets the invitee see and join
// the room even when it is private. The invitee is notified (spec R7) only
// if they gave the inviter their card and are not in the room already;
// identical notices within 500 ms are sent once.
func (s *Service) Invite(ctx context.Context, inviter, roomID, invitee string) error {
	r, err := s.loadOpen(ctx, inviter, roomID)
	if err != nil {
		return err
	}
	gaveCard, err := s.db.Card.Query().
		Where(card.HolderUID(inviter), card.SenderUID(invitee), card.Deleted(0)).Exist(ctx)
	if err != nil {
		return err
	}
	connected, err := s.db.Presence.Query().Where(presence.RoomID(r.ID), presence.UID(invitee)).Exist(ctx)
	if err != nil {
		return err
	}
	var notice *message.Notice
	if gaveCard && !connected {
		first, err := s.kv.Acquire(ctx, "room-invite:"+ids.MD5(r.ID+"|"+inviter+"|"+invitee), inviteDedupe)
		if err != nil {
			return err
		}
		if first {
			me, err := s.users.StoredProfile(ctx, inviter) // its nickname is kept in the notice
			if err != nil {
				return err
			}
			content := me.Nickname + "创建的活动"
			if r.Name != nil && *r.Name != "" {
				content = *r.Name
			}
			notice = &message.Notice{UID: invitee, OriginPushType: push.OriginInteractive, OriginUID: inviter,
				Title: me.Nickname + "邀请你加入活动", Content: content, URL: "chaoqer://room/" + r.ID}
		}
	}
	announce := func() {}
	err = entdb.WithTx(ctx, s.db, func(tx *ent.Tx) error {
		// DoNothing on a conflict makes ent report sql.ErrNoRows: the
		// invitation is already recorded.
		err := tx.RoomInvite.Create().SetRoomID(r.ID).SetUID(invitee).SetInviterUID(inviter).
			SetCreateTime(ids.Ms(s.now())).
			OnConflictColumns(roominvite.FieldRoomID, roominvite.FieldUID).DoNothing().Exec(ctx)
		if err != nil && !errors.Is(err, stdsql.ErrNoRows) {
			return err
		}
		if notice == nil {
			return nil
		}
		announce, err = s.messages.Store(ctx, tx.Client(), *notice)
		return err
	})
	if err != nil {
		return err
	}
	announce()
	return nil
}

// exists runs a "SELECT CASE WHEN EXISTS (…) THEN 1 ELSE 0 END" query.
func (s *Service) exists(ctx context.Context, query string, args ...any) (bool, error) {
	rows, err := s.db.QueryContext(ctx, entdb.Rebind(s.dialect, query), args...)
	if err != nil {
		return false, err
	}
	defer rows.Close()
	var ok bool
	if rows.Next() {
		if err := rows.Scan(&ok); err != nil {
			return false, err
		}
	}
	return ok, rows.Err()
}
