package room

import (
	"context"
	"encoding/json"
	"errors"

	"chaoqer/ent"
	"chaoqer/ent/sharesnapshot"
	"chaoqer/graph/club"
	"chaoqer/graph/errs"
	"chaoqer/graph/ids"
	"chaoqer/graph/user"
)

// Snapshot is a frozen view of a room made for sharing (spec R6, §5.3),
// stored for 30 days under its roomCacheId. Its JSON is the legacy
// RoomCacheResult, so a share page can answer it as it is.
type Snapshot struct {
	RoomCacheID string         `json:"roomCacheId"`
	RoomID      string         `json:"roomId"`
	UID         string         `json:"uid"`
	Name        *string        `json:"name,omitempty"`
	ClubID      *string        `json:"clubId,omitempty"`
	InviteOnly  int            `json:"inviteOnly"`
	CreateTime  int64          `json:"createTime"`
	Closed      int            `json:"closed"`
	ClubResult  *SnapshotClub  `json:"clubResult,omitempty"`
	MemberList  []SnapshotUser `json:"memberList"`
	MemberTotal int            `json:"memberTotal"`
	FromMember  *SnapshotUser  `json:"fromMember,omitempty"`
}

// SnapshotClub is the club of a snapshot, as an anonymous viewer sees it.
type SnapshotClub struct {
	ClubID      string `json:"clubId"`
	UID         string `json:"uid"`
	Name        string `json:"name"`
	Cover       string `json:"cover"`
	CreateTime  int64  `json:"createTime"`
	MemberTotal int    `json:"memberTotal"`
	Joined      int    `json:"joined"`
}

// SnapshotUser is a profile in a snapshot, as an anonymous viewer sees it.
type SnapshotUser struct {
	UID       string  `json:"uid"`
	Nickname  string  `json:"nickname"`
	Avatar    string  `json:"avatar"`
	Bio       *string `json:"bio,omitempty"`
	Blocked   int     `json:"blocked"`
	SendCard  int     `json:"sendCard"`
	CardTotal int     `json:"cardTotal"`
	AllowLive int     `json:"allowLive"`
}

// IsInviteOnly reports whether the room was private.
func (s *Snapshot) IsInviteOnly() bool { return s.InviteOnly != 0 }

// IsClosed reports whether the room has closed.
func (s *Snapshot) IsClosed() bool { return s.Closed != 0 }

// CanGoLive reports the user's allowLive flag.
func (u *SnapshotUser) CanGoLive() bool { return u.AllowLive != 0 }

func snapshotUser(p *user.Profile) SnapshotUser {
	return SnapshotUser{UID: p.UID, Nickname: p.Nickname, Avatar: p.Avatar, Bio: p.Bio,
		CardTotal: p.CardTotal, AllowLive: boolInt(p.AllowLive)}
}

// Share makes a snapshot of a room for uid to share and returns its id
// (roomCacheId). Closed rooms can be shared too, by users CheckAccess
// allows (400000 for others). The snapshot is then a capability: whoever
// holds its id sees it (the share page). Every call makes a new snapshot.
func (s *Service) Share(ctx context.Context, uid, roomID string) (string, error) {
	r, err := s.load(ctx, roomID)
	if err != nil {
		return "", err
	}
	if err := s.CheckAccess(ctx, uid, r); err != nil {
		return "", err
	}
	ps, err := s.Presences(ctx, []string{r.ID})
	if err != nil {
		return "", err
	}
	p := ps[r.ID]
	profiles, err := s.users.Profiles(ctx, "", append([]string{uid}, p.UIDs...), user.FieldCardTotal)
	if err != nil {
		return "", err
	}
	nowMs := ids.Ms(s.now())
	snap := &Snapshot{
		RoomCacheID: ids.New(), RoomID: r.ID, UID: r.UID, Name: r.Name, ClubID: r.ClubID,
		InviteOnly: boolInt(r.InviteOnly), CreateTime: r.CreateTime, Closed: boolInt(r.Closed),
		MemberList: []SnapshotUser{}, MemberTotal: p.Total,
	}
	if me := profiles[uid]; me != nil {
		u := snapshotUser(me)
		snap.FromMember = &u
	}
	for _, m := range p.UIDs {
		if pr := profiles[m]; pr != nil {
			snap.MemberList = append(snap.MemberList, snapshotUser(pr))
		}
	}
	if r.ClubID != nil {
		c, err := s.clubs.Clubs(ctx, "", []string{*r.ClubID}, club.FieldMemberTotal)
		if err != nil {
			return "", err
		}
		if cl := c[*r.ClubID]; cl != nil {
			snap.ClubResult = snapshotClub(cl)
		}
	}
	data, err := json.Marshal(snap)
	if err != nil {
		return "", err
	}
	err = s.db.ShareSnapshot.Create().SetID(snap.RoomCacheID).SetRoomID(r.ID).SetSharerUID(uid).
		SetData(string(data)).SetCreateTime(nowMs).SetExpireTime(nowMs + snapshotTTL.Milliseconds()).
		Exec(ctx)
	if err != nil {
		return "", err
	}
	return snap.RoomCacheID, nil
}

func snapshotClub(c *club.Club) *SnapshotClub {
	return &SnapshotClub{ClubID: c.ID, UID: c.UID, Name: c.Name, Cover: c.Cover, CreateTime: c.CreateTime,
		MemberTotal: c.MemberTotal, Joined: boolInt(c.Joined)}
}

// Snapshot reads a share snapshot as frozen at share time, except that
// Closed is 1 once the room is no longer open; 400000 when the id is unknown
// or expired.
func (s *Service) Snapshot(ctx context.Context, roomCacheID string) (*Snapshot, error) {
	if !ids.Valid(roomCacheID) {
		return nil, errs.RoomNotFound
	}
	row, err := s.db.ShareSnapshot.Query().
		Where(sharesnapshot.ID(roomCacheID), sharesnapshot.ExpireTimeGT(ids.Ms(s.now()))).Only(ctx)
	if ent.IsNotFound(err) {
		return nil, errs.RoomNotFound
	}
	if err != nil {
		return nil, err
	}
	snap := &Snapshot{}
	if err := json.Unmarshal([]byte(row.Data), snap); err != nil {
		return nil, err
	}
	r, err := s.load(ctx, row.RoomID)
	if err != nil && !errors.Is(err, errs.RoomNotFound) {
		return nil, err
	}
	if r == nil || r.Closed {
		snap.Closed = 1
	}
	return snap, nil
}

// SweepSnapshots deletes expired snapshots; it returns how many went.
func (s *Service) SweepSnapshots(ctx context.Context) (int, error) {
	return s.db.ShareSnapshot.Delete().Where(sharesnapshot.ExpireTimeLTE(ids.Ms(s.now()))).Exec(ctx)
}
