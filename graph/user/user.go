// Package user owns profiles and the relations between two users: blocks and
// business cards. Profiles are read in batches together with what the viewer
// needs to know about them (blocked, card sent, card total), in one statement.
package user

import (
	"context"
	"strings"
	"time"

	"chaoqer/ent"
	entaccount "chaoqer/ent/account"
	"chaoqer/ent/entdb"
	"chaoqer/graph/errs"
	"chaoqer/graph/message"
	"chaoqer/graph/relay"
)

// Messages of the user endpoints.
const (
	MsgBlocked        = "屏蔽成功"
	MsgUnblocked      = "解除屏蔽成功"
	MsgCardSent       = "你给了对方一张自己的名片"
	MsgCardDeleted    = "删除成功"
	msgNoNickname     = "名字不能为空"
	msgLongNickname   = "设置的名字不能超过20个字"
	msgNoAvatar       = "头像不能为空"
	msgLongBio        = "介绍不能超过1000个字"
	msgBlockSelf      = "无法屏蔽自己"
	msgCardSelf       = "无法发送名片给自己"
	cardNoticeContent = "给你发送了一张名片"
)

// Profile is a user as seen by the viewer of the request.
type Profile struct {
	UID       string
	Nickname  string
	Avatar    string
	Bio       *string
	Blocked   bool // the viewer has blocked this user
	SendCard  bool // the viewer has given this user a card
	CardTotal int  // cards in this user's card holder
	AllowLive bool
	// Computed are the fields loaded; the others are zero, not known.
	Computed Fields
}

// NodeID is the user's Relay global id.
func (p *Profile) NodeID() string { return relay.ID(relay.User, p.UID) }

// SessionCache is the part of the account service that must hear of a status change.
type SessionCache interface {
	SetStatus(ctx context.Context, db *ent.Client, uid string, status int) error
}

// Service implements profiles, blocks and cards.
type Service struct {
	db       *ent.Client
	store    *entdb.DB
	sessions SessionCache
	messages *message.Service
	live     map[string]bool
	now      func() time.Time
	cache    *profileCache // nil: every profile is read
}

// New returns the user service. liveUIDs are reported with allowLive.
func New(db *entdb.DB, sessions SessionCache, messages *message.Service, liveUIDs []string) *Service {
	live := make(map[string]bool, len(liveUIDs))
	for _, u := range liveUIDs {
		if u = strings.TrimSpace(u); u != "" {
			live[u] = true
		}
	}
	return &Service{db: db.Client, store: db, sessions: sessions, messages: messages, live: live, now: time.Now}
}

// CacheProfiles makes the service keep the stored columns of the profiles
// it reads for ttl (0: no cache, the default), so that operations reading
// no viewer relation or card total skip the statement for profiles read
// recently. A profile changed on another instance is seen after at most
// ttl. Call it before serving.
func (s *Service) CacheProfiles(ttl time.Duration) {
	s.cache = newProfileCache(ttl, func() time.Time { return s.now() })
}

// SetClock replaces the time source (tests).
func (s *Service) SetClock(now func() time.Time) { s.now = now }

// Exists reports whether uid is a user others can see (account status 1).
func (s *Service) Exists(ctx context.Context, uid string) (bool, error) {
	return s.db.Account.Query().Where(entaccount.ID(uid), entaccount.Status(1)).Exist(ctx)
}

func (s *Service) mustExist(ctx context.Context, uid string) error {
	ok, err := s.Exists(ctx, uid)
	if err != nil {
		return err
	}
	if !ok {
		return errs.UserNotFound
	}
	return nil
}
