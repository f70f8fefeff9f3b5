package user

import (
	"context"
	"fmt"

	"chaoqer/ent"
	"chaoqer/ent/entdb"
	entprofile "chaoqer/ent/profile"
	"chaoqer/graph/errs"
	"chaoqer/graph/ids"
	"chaoqer/graph/text"
	"chaoqer/graph/viewer"
)

// profilesSQL reads profiles of normal accounts with the viewer's relations
// to them; one statement whatever the number of uids (the %s is the
// dialect's "id in list" condition, see entdb.InList).
const profilesSQL = `SELECT p.id, p.nickname, p.avatar, p.bio,
  EXISTS (SELECT 1 FROM user_blocks b WHERE b.uid = ? AND b.target_uid = p.id),
  EXISTS (SELECT 1 FROM user_cards c WHERE c.holder_uid = p.id AND c.sender_uid = ? AND c.deleted = 0),
  (SELECT COUNT(*) FROM user_cards t WHERE t.holder_uid = p.id AND t.deleted = 0)
FROM user_profiles p JOIN accounts a ON a.id = p.id
WHERE a.status = 1 AND %s`

// Profiles loads the profiles of uids as seen by viewerUID ("" = anonymous).
// Unknown users and accounts that are not in status 1 are absent from the map.
func (s *Service) Profiles(ctx context.Context, viewerUID string, uids []string) (map[string]*Profile, error) {
	out := make(map[string]*Profile, len(uids))
	if len(uids) == 0 {
		return out, nil
	}
	stmt, err := s.profilesStmt()
	if err != nil {
		return nil, err
	}
	rows, err := stmt.QueryContext(ctx, viewerUID, viewerUID, s.store.StringList(uids))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		p := &Profile{}
		var bio *string
		if err := rows.Scan(&p.UID, &p.Nickname, &p.Avatar, &bio, &p.Blocked, &p.SendCard, &p.CardTotal); err != nil {
			return nil, err
		}
		if bio != nil && *bio != "" {
			p.Bio = bio
		}
		p.AllowLive = s.live[p.UID]
		out[p.UID] = p
	}
	return out, rows.Err()
}

// profilesStmt is the profile query, prepared once for the pool.
func (s *Service) profilesStmt() (*entdb.Stmt, error) {
	return s.store.Stmt("user.profiles", func() string { return fmt.Sprintf(profilesSQL, s.store.InList("p.id")) })
}

// Profile loads one profile as seen by viewerUID; 200002 when there is none.
func (s *Service) Profile(ctx context.Context, viewerUID, uid string) (*Profile, error) {
	if !ids.Valid(uid) {
		return nil, errs.UserNotFound
	}
	m, err := s.Profiles(ctx, viewerUID, []string{uid})
	if err != nil {
		return nil, err
	}
	p, ok := m[uid]
	if !ok {
		return nil, errs.UserNotFound
	}
	return p, nil
}

// ProfileInput is what profile init and update accept.
type ProfileInput struct {
	Nickname *string
	Avatar   *string
	Bio      *string
}

func (in ProfileInput) validate(withBio bool) error {
	if text.Blank(in.Nickname) {
		return errs.Failure(msgNoNickname)
	}
	if text.Len(*in.Nickname) > 20 {
		return errs.Failure(msgLongNickname)
	}
	if text.Blank(in.Avatar) {
		return errs.Failure(msgNoAvatar)
	}
	if withBio && in.Bio != nil && text.Len(*in.Bio) > 1000 {
		return errs.Failure(msgLongBio)
	}
	return nil
}

// InitProfile sets the nickname and avatar of a new account and makes it a
// normal account (status 1), in one transaction. On an account that is
// already set up it changes nothing.
func (s *Service) InitProfile(ctx context.Context, v *viewer.Viewer, in ProfileInput) error {
	if err := in.validate(false); err != nil {
		return err
	}
	if v.Initialized() {
		return nil
	}
	nowMs := ids.Ms(s.now())
	return entdb.WithTx(ctx, s.db, func(tx *ent.Tx) error {
		err := tx.Profile.UpdateOneID(v.UID).SetNickname(*in.Nickname).SetAvatar(*in.Avatar).
			SetUpdateTime(nowMs).Exec(ctx)
		if err != nil {
			return err
		}
		return s.sessions.SetStatus(ctx, tx.Client(), v.UID, viewer.StatusNormal)
	})
}

// UpdateProfile changes the caller's nickname, avatar and bio; a blank bio
// removes it.
func (s *Service) UpdateProfile(ctx context.Context, uid string, in ProfileInput) error {
	if err := in.validate(true); err != nil {
		return err
	}
	upd := s.db.Profile.Update().Where(entprofile.ID(uid)).
		SetNickname(*in.Nickname).SetAvatar(*in.Avatar).SetUpdateTime(ids.Ms(s.now()))
	if text.Blank(in.Bio) {
		upd.ClearBio()
	} else {
		upd.SetBio(*in.Bio)
	}
	n, err := upd.Save(ctx)
	if err != nil {
		return err
	}
	if n == 0 {
		return errs.UserNotFound
	}
	return nil
}
