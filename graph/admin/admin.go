// Package admin holds the operator actions (publishing app versions, sending
// notices) and decides who may use them: the accounts listed in the
// configuration (CHAOQER_ADMIN_UIDS). Operators log in like everyone else;
// there is no separate admin credential to leak. This replaces the legacy
// unauthenticated push endpoints (GET /push, POST /push/template,
// POST /push/attach), which are not served.
package admin

import (
	"context"
	"strings"

	"chaoqer/graph/errs"
	"chaoqer/graph/ids"
	"chaoqer/graph/message"
	"chaoqer/graph/push"
	"chaoqer/graph/viewer"
)

// Messages of the operator actions.
var (
	// ErrForbidden answers a logged-in caller who is not an operator.
	ErrForbidden      = errs.Failure("权限不足")
	errBadOrigin      = errs.Failure("推送类型不存在")
	errNoTitle        = errs.Failure("标题不能为空")
	errNoContent      = errs.Failure("内容不能为空")
	errNoSuchReceiver = errs.UserNotFound
)

// Service checks operators and runs their actions.
type Service struct {
	uids     map[string]bool
	messages *message.Service
}

// New returns the service for the operator uids (blank entries ignored).
func New(uids []string, messages *message.Service) *Service {
	s := &Service{uids: map[string]bool{}, messages: messages}
	for _, u := range uids {
		if u = strings.TrimSpace(u); u != "" {
			s.uids[u] = true
		}
	}
	return s
}

// Is reports whether uid is an operator.
func (s *Service) Is(uid string) bool { return uid != "" && s.uids[uid] }

// Check lets only operators through: anonymous callers are
// unauthenticated, others forbidden.
func (s *Service) Check(ctx context.Context) error {
	v := viewer.From(ctx)
	if v == nil {
		return errs.Unauthenticated
	}
	if !s.Is(v.UID) {
		return ErrForbidden
	}
	return nil
}

// Notice is a system (0) or official (1) notification to one user.
type Notice struct {
	UID            string
	OriginPushType int
	Title, Content string
	URL            string
}

// SendNotice stores the notice in the user's messages and pushes it; the
// caller must be an operator.
func (s *Service) SendNotice(ctx context.Context, n Notice) error {
	if err := s.Check(ctx); err != nil {
		return err
	}
	switch {
	case !ids.Valid(n.UID):
		return errNoSuchReceiver
	case n.OriginPushType != push.OriginSystem && n.OriginPushType != push.OriginOfficial:
		return errBadOrigin
	case strings.TrimSpace(n.Title) == "":
		return errNoTitle
	case strings.TrimSpace(n.Content) == "":
		return errNoContent
	}
	return s.messages.Send(ctx, message.Notice{UID: n.UID, OriginPushType: n.OriginPushType, Title: n.Title, Content: n.Content, URL: n.URL})
}
