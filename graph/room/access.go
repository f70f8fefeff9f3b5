package room

import (
	"context"
	stdsql "database/sql"
	"errors"

	"chaoqer/ent"
	"chaoqer/ent/card"
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

// ErrTokensUnavailable answers a token request on a server without Agora
// credentials.
var ErrTokensUnavailable = &errs.Error{Code: errs.CodeFailure, Message: "语音服务暂不可用（未配置声网凭证）", Kind: errs.KindUnavailable}

// blockedByHostSQL tells whether a host connected to the room has blocked uid.
const blockedByHostSQL = `SELECT CASE WHEN EXISTS (
  SELECT 1 FROM room_presences p JOIN user_blocks b ON b.uid = p.uid
  WHERE p.room_id = ? AND p.role = ? AND b.target_uid = ?
) THEN 1 ELSE 0 END`

// Token issues the Agora RTC token of a room to uid (spec R4): the room must
// be open and enterable (400000), and no host connected to it may have
// blocked uid (400001).
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

// CloseAs closes a room on uid's request (spec R5): uid must be its creator or
// connected to it as a host, and the room must be open; 400000 otherwise.
func (s *Service) CloseAs(ctx context.Context, uid, roomID string) error {
	r, err := s.load(ctx, roomID)
	if err != nil {
		return err
	}
	if r.Closed {
		return errs.RoomNotFound
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
	nowMs := ids.Ms(s.now())
	closed := false
	err := entdb.WithTx(ctx, s.db, func(tx *ent.Tx) error {
		n, err := tx.Room.Update().Where(entroom.ID(roomID), entroom.Closed(false)).
			SetClosed(true).SetCloseTime(nowMs).ClearLiveState().Save(ctx)
		if err != nil || n == 0 {
			return err
		}
		closed = true
		if _, err := tx.Presence.Delete().Where(presence.RoomID(roomID)).Exec(ctx); err != nil {
			return err
		}
		if _, err := tx.RoomPin.Delete().Where(roompin.RoomID(roomID)).Exec(ctx); err != nil {
			return err
		}
		_, err = tx.RoomRequest.Delete().Where(roomrequest.RoomID(roomID)).Exec(ctx)
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

// Invite records that inviter invites invitee to an open room the inviter
// may enter (400000 otherwise); an invitation lets the invitee see and join
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
			me, err := s.users.Profile(ctx, "", inviter)
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
