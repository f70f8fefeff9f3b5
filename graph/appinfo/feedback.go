package appinfo

import (
	"context"
	"encoding/json"

	"chaoqer/ent"
	"chaoqer/graph/errs"
	"chaoqer/graph/ids"
	"chaoqer/graph/text"
	"chaoqer/graph/viewer"
)

// Origins of feedback and reports (spec A.1).
const (
	FeedbackOnApp  = 0
	FeedbackOnRoom = 1
	ReportOnUser   = 1
	ReportOnRoom   = 2
	// ReasonOther is the reason type whose text is the user's own.
	ReasonOther = 5
)

// Messages of feedback (V2) and reports (V3).
const (
	MsgFeedbackSent      = "反馈成功"
	MsgReportSent        = "投诉成功"
	msgBadFeedbackOrigin = "反馈来源类型不存在"
	msgNoFeedbackOrigin  = "反馈来源ID不能为空"
	msgBadFeedbackType   = "反馈类型不存在"
	msgNoFeedback        = "反馈内容不能为空"
	msgLongFeedback      = "反馈内容不能超过500个字"
	msgTooManyImages     = "至多添加三张图片"
	msgBadReportOrigin   = "投诉来源类型不存在"
	msgNoReportOrigin    = "投诉来源ID不能为空"
	msgBadReason         = "投诉原因类型不存在"
	msgNoReason          = "投诉原因不能为空"
	msgLongReason        = "投诉原因不能超过500个字"
	maxTextUnits         = 500
	maxFeedbackImages    = 3
	appOriginID          = "-1" // origin_id of feedback about the app
)

// ReasonLabels are the canonical texts stored for reasons 1-4.
var ReasonLabels = map[int]string{1: "涉嫌违法违规", 2: "色情淫秽", 3: "暴力血腥", 4: "广告营销", 5: "其它"}

// FeedbackInput is a feedback as sent; absent numbers are 0.
type FeedbackInput struct {
	OriginFeedbackType *int
	OriginID           *string
	FeedbackType       *int
	FeedbackContent    *string
	FeedbackImageList  []string
}

// Feedback validates and stores feedback from uid (spec V2, §8.2).
// Feedback about a room that does not exist is dropped silently.
func (s *Service) Feedback(ctx context.Context, uid string, client viewer.Client, in FeedbackInput) error {
	origin := intOr0(in.OriginFeedbackType)
	switch {
	case origin != FeedbackOnApp && origin != FeedbackOnRoom:
		return errs.Failure(msgBadFeedbackOrigin)
	case in.OriginID == nil:
		return errs.Failure(msgNoFeedbackOrigin)
	case intOr0(in.FeedbackType) != 0:
		return errs.Failure(msgBadFeedbackType)
	case text.Blank(in.FeedbackContent):
		return errs.Failure(msgNoFeedback)
	case text.Len(*in.FeedbackContent) > maxTextUnits:
		return errs.Failure(msgLongFeedback)
	case len(in.FeedbackImageList) > maxFeedbackImages:
		return errs.Failure(msgTooManyImages)
	}
	create := s.db.Feedback.Create().
		SetUID(uid).SetOriginFeedbackType(origin).SetOriginID(appOriginID).
		SetClientType(client.Type).SetVersionName(client.VersionName).SetVersionCode(client.VersionCode).
		SetFeedbackType(0).SetFeedbackContent(*in.FeedbackContent).
		SetStatus(0).SetCreateTime(ids.Ms(s.now()))
	if len(in.FeedbackImageList) > 0 {
		create.SetFeedbackImages(in.FeedbackImageList)
	}
	if origin == FeedbackOnRoom {
		room, err := s.room(ctx, *in.OriginID)
		if err != nil || room == nil {
			return err
		}
		content, err := roomContent(room)
		if err != nil {
			return err
		}
		create.SetOriginID(room.ID).SetOriginUID(room.UID).SetOriginContent(content).SetOriginContentCreateTime(room.CreateTime)
	}
	return create.Exec(ctx)
}

// ReportInput is a report as sent; absent numbers are 0.
type ReportInput struct {
	OriginReportType *int
	OriginID         *string
	ReportReasonType *int
	Reason           *string
}

// Report validates and stores uid's report about a user or a room (spec
// V3, §8.3): one per reporter and target (later ones are ignored), unknown
// targets are ignored, and only reason 5 keeps the user's text.
func (s *Service) Report(ctx context.Context, uid string, in ReportInput) error {
	origin, reason := intOr0(in.OriginReportType), intOr0(in.ReportReasonType)
	switch {
	case origin != ReportOnUser && origin != ReportOnRoom:
		return errs.Failure(msgBadReportOrigin)
	case text.Blank(in.OriginID):
		return errs.Failure(msgNoReportOrigin)
	case reason < 1 || reason > 5:
		return errs.Failure(msgBadReason)
	case text.Blank(in.Reason):
		return errs.Failure(msgNoReason)
	case text.Len(*in.Reason) > maxTextUnits:
		return errs.Failure(msgLongReason)
	}
	var targetUID, content string
	var targetTime int64
	switch origin {
	case ReportOnUser:
		p, err := s.db.Profile.Get(ctx, *in.OriginID)
		if ent.IsNotFound(err) {
			return nil
		}
		if err != nil {
			return err
		}
		b, err := json.Marshal(struct {
			UID      string  `json:"uid"`
			Nickname string  `json:"nickname"`
			Avatar   string  `json:"avatar"`
			Bio      *string `json:"bio,omitempty"`
		}{p.ID, p.Nickname, p.Avatar, p.Bio})
		if err != nil {
			return err
		}
		targetUID, content, targetTime = p.ID, string(b), p.CreateTime
	case ReportOnRoom:
		room, err := s.room(ctx, *in.OriginID)
		if err != nil || room == nil {
			return err
		}
		if content, err = roomContent(room); err != nil {
			return err
		}
		targetUID, targetTime = room.UID, room.CreateTime
	}
	text := ReasonLabels[reason]
	if reason == ReasonOther {
		text = *in.Reason
	}
	err := s.db.Report.Create().
		SetUID(uid).SetOriginReportType(origin).SetOriginID(*in.OriginID).
		SetOriginUID(targetUID).SetOriginContent(content).SetOriginContentCreateTime(targetTime).
		SetReportReasonType(reason).SetReason(text).SetStatus(0).SetCreateTime(ids.Ms(s.now())).
		Exec(ctx)
	if ent.IsConstraintError(err) {
		return nil // already reported this target
	}
	return err
}

// room loads a room in any state; nil when there is none.
func (s *Service) room(ctx context.Context, roomID string) (*ent.Room, error) {
	if !ids.Valid(roomID) {
		return nil, nil
	}
	r, err := s.db.Room.Get(ctx, roomID)
	if ent.IsNotFound(err) {
		return nil, nil
	}
	return r, err
}

// roomContent is the stored copy of a room a feedback or report is about.
func roomContent(r *ent.Room) (string, error) {
	b, err := json.Marshal(struct {
		RoomID     string  `json:"roomId"`
		UID        string  `json:"uid"`
		Name       *string `json:"name,omitempty"`
		ClubID     *string `json:"clubId,omitempty"`
		InviteOnly int     `json:"inviteOnly"`
		Closed     bool    `json:"closed"`
		CreateTime int64   `json:"createTime"`
	}{r.ID, r.UID, r.Name, r.ClubID, r.InviteOnly, r.Closed, r.CreateTime})
	return string(b), err
}
