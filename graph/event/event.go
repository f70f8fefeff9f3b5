// Package event owns scheduled talks (日程, spec §2.5): creating, editing and
// deleting them, the public list, reminders, and starting an event's live
// room. Reminders are rows of event_reminders; a background job (Reminders)
// tells every booker when the event's time comes, and starting the event
// tells them its room is live.
package event

import (
	"context"
	stdsql "database/sql"
	"errors"
	"time"

	"chaoqer/ent"
	"chaoqer/ent/entdb"
	entevent "chaoqer/ent/event"
	"chaoqer/ent/eventreminder"
	"chaoqer/graph/errs"
	"chaoqer/graph/ids"
	"chaoqer/graph/message"
	"chaoqer/graph/page"
	"chaoqer/graph/push"
	"chaoqer/graph/relay"
	"chaoqer/graph/room"
	"chaoqer/graph/text"
	"chaoqer/graph/user"
)

// Messages and limits of the event endpoints.
const (
	msgNoName         = "标题不能为空"
	msgLongName       = "标题不能超过100个字"
	msgLongDesc       = "介绍不能超过500个字"
	msgNoTime         = "日期时间不能为空"
	msgBadTime        = "日期时间不正确"
	msgNoMembers      = "嘉宾或主持人不能为空"
	msgBadParam       = "参数错误"
	msgEditBound      = "无法编辑已绑定活动的日程"
	msgDeleteBound    = "无法删除已绑定活动的日程"
	msgNoPermission   = "权限不足"
	msgMemberBooks    = "嘉宾或者主持人无法预约日程"
	msgBookBound      = "无法预约已绑定活动的日程"
	msgBookExpired    = "无法预约已过期的日程"
	msgNotYet         = "日程时间未开始"
	msgExpired        = "日程时间已过期"
	MaxNameLen        = 100
	MaxDescLen        = 500
	startWindow       = 30 * time.Minute
	listLookBack      = time.Hour
	zeroID            = "00000000000000000000000000000000"
	guestNoticeSuffix = "已添加你为活动嘉宾"
	startedNotice     = "你预约的活动已经开始了"
)

// The range of an event's time (epoch ms, inclusive): the times whose
// decimal form has 13 digits, 2001-09-09T01:46:40Z to
// 2286-11-20T17:46:39.999Z. Inside it the sequenceId "{eventTime}:{eventId}"
// sorts as text in time order, which the event list relies on, and time
// arithmetic (the ±30 min start window) cannot overflow. The legacy server
// had no range check (spec §2.5 E1); times outside it are refused with
// "日期时间不正确" on both APIs.
const (
	MinTime int64 = 1_000_000_000_000
	MaxTime int64 = 9_999_999_999_999
)

// Time statuses of an event (eventTimeStatus).
const (
	StatusNotStarted = 0 // more than 30 minutes ahead
	StatusStartable  = 1 // within 30 minutes of its time
	StatusExpired    = 2 // more than 30 minutes past
)

// Event is a stored event.
type Event struct {
	ID         string
	UID        string // the creator; editing never changes it
	Name       string
	Desc       *string
	MemberUIDs []string // hosts and guests, in order
	EventTime  int64
	TimeStatus int // at the time it was read
	RoomID     *string
	CreateTime int64
	SequenceID string
}

// NodeID is the event's Relay global id.
func (e *Event) NodeID() string { return relay.ID(relay.Event, e.ID) }

// IsMember reports whether uid is one of the event's hosts or guests.
func (e *Event) IsMember(uid string) bool {
	for _, m := range e.MemberUIDs {
		if m == uid {
			return true
		}
	}
	return false
}

// FeedItem is one event of the public list.
type FeedItem struct {
	EventID    string
	EventTime  int64
	SequenceID string
	Event      *Event
}

// Cursor is the item's legacy sequenceId "{eventTime}:{eventId}".
func (f *FeedItem) Cursor() string { return f.SequenceID }

// Input is what creating or editing an event takes; nil fields are missing
// parameters.
type Input struct {
	Name          *string
	Desc          *string
	EventTime     *int64
	MemberUIDList []string // nil when missing
}

// valid is a checked and normalised Input.
type valid struct {
	name      string
	desc      *string
	eventTime int64
	members   []string
}

// validate checks in against the parameter rules of E1/E2 in their order.
func (in Input) validate() (valid, error) {
	var v valid
	if text.Blank(in.Name) {
		return v, errs.Failure(msgNoName)
	}
	if text.Len(*in.Name) > MaxNameLen {
		return v, errs.Failure(msgLongName)
	}
	if in.Desc != nil && text.Len(*in.Desc) > MaxDescLen {
		return v, errs.Failure(msgLongDesc)
	}
	if in.EventTime == nil {
		return v, errs.Failure(msgNoTime)
	}
	if *in.EventTime < MinTime || *in.EventTime > MaxTime {
		return v, errs.Failure(msgBadTime)
	}
	if len(in.MemberUIDList) == 0 {
		return v, errs.Failure(msgNoMembers)
	}
	seen := make(map[string]bool, len(in.MemberUIDList))
	for _, m := range in.MemberUIDList {
		if !ids.Valid(m) {
			return v, errs.Failure(msgBadParam)
		}
		if !seen[m] {
			seen[m] = true
			v.members = append(v.members, m)
		}
	}
	v.name = text.Name(*in.Name)
	if !text.Blank(in.Desc) {
		v.desc = in.Desc
	}
	v.eventTime = *in.EventTime
	return v, nil
}

// includes reports whether the (valid) member list names uid.
func (v valid) includes(uid string) bool {
	for _, m := range v.members {
		if m == uid {
			return true
		}
	}
	return false
}

// Service implements events and reminders.
type Service struct {
	db       *ent.Client
	dialect  string
	rooms    *room.Service
	users    *user.Service
	messages *message.Service
	now      func() time.Time
}

// New returns the event service.
func New(db *entdb.DB, rooms *room.Service, users *user.Service, messages *message.Service) *Service {
	return &Service{db: db.Client, dialect: db.Dialect, rooms: rooms, users: users, messages: messages, now: time.Now}
}

// SetClock replaces the time source (tests).
func (s *Service) SetClock(now func() time.Time) { s.now = now }

// TimeStatus is the eventTimeStatus of an event at eventTime, seen at now.
func TimeStatus(now time.Time, eventTime int64) int {
	nowMs := ids.Ms(now)
	switch window := startWindow.Milliseconds(); {
	case nowMs > eventTime+window:
		return StatusExpired
	case nowMs > eventTime-window:
		return StatusStartable
	default:
		return StatusNotStarted
	}
}

func (s *Service) fromEnt(e *ent.Event) *Event {
	return &Event{ID: e.ID, UID: e.UID, Name: e.Name, Desc: e.Desc, MemberUIDs: e.MemberUids,
		EventTime: e.EventTime, TimeStatus: TimeStatus(s.now(), e.EventTime), RoomID: e.RoomID,
		CreateTime: e.CreateTime, SequenceID: e.SequenceID}
}

// Get reads an event that is not deleted; 600000 otherwise.
func (s *Service) Get(ctx context.Context, eventID string) (*Event, error) {
	return s.get(ctx, s.db, eventID)
}

// Events reads the events with the given ids that Get would answer (not
// deleted); the others are absent from the map. One statement.
func (s *Service) Events(ctx context.Context, eventIDs []string) (map[string]*Event, error) {
	out := make(map[string]*Event, len(eventIDs))
	if len(eventIDs) == 0 {
		return out, nil
	}
	rows, err := s.db.Event.Query().Where(entevent.IDIn(eventIDs...), entevent.Deleted(false)).All(ctx)
	if err != nil {
		return nil, err
	}
	for _, r := range rows {
		out[r.ID] = s.fromEnt(r)
	}
	return out, nil
}

func (s *Service) get(ctx context.Context, client *ent.Client, eventID string) (*Event, error) {
	if !ids.Valid(eventID) {
		return nil, errs.EventNotFound
	}
	e, err := client.Event.Query().Where(entevent.ID(eventID), entevent.Deleted(false)).Only(ctx)
	if ent.IsNotFound(err) {
		return nil, errs.EventNotFound
	}
	if err != nil {
		return nil, err
	}
	return s.fromEnt(e), nil
}

// Create schedules an event created by uid (spec E1) and tells every other
// host or guest, in one transaction.
func (s *Service) Create(ctx context.Context, uid string, in Input) (*Event, error) {
	v, err := in.validate()
	if err != nil {
		return nil, err
	}
	if !v.includes(uid) {
		return nil, errs.Failure(msgBadParam)
	}
	me, err := s.users.StoredProfile(ctx, uid) // its nickname is kept in the notices
	if err != nil {
		return nil, err
	}
	nowMs := ids.Ms(s.now())
	id := ids.New()
	var notices []message.Notice
	for _, m := range v.members {
		if m != uid {
			notices = append(notices, message.Notice{UID: m, OriginPushType: push.OriginInteractive, OriginUID: uid,
				Title: me.Nickname + guestNoticeSuffix, Content: v.name, URL: "chaoqer://event/" + id})
		}
	}
	announce := func() {}
	err = entdb.WithTx(ctx, s.db, func(tx *ent.Tx) error {
		err := tx.Event.Create().SetID(id).SetUID(uid).SetName(v.name).SetNillableDesc(v.desc).
			SetMemberUids(v.members).SetEventTime(v.eventTime).SetDeleted(false).
			SetCreateTime(nowMs).SetUpdateTime(nowMs).SetSequenceID(ids.Seq(v.eventTime, id)).Exec(ctx)
		if err != nil {
			return err
		}
		announce, err = s.messages.Store(ctx, tx.Client(), notices...)
		return err
	})
	if err != nil {
		return nil, err
	}
	announce()
	return s.Get(ctx, id)
}

// Update edits an event (spec E2): only one of its current hosts or guests,
// or its creator, may, and not once it is bound to a room. The creator stays
// the owner whoever edits (spec §12 S4); newly added guests are not told.
func (s *Service) Update(ctx context.Context, uid, eventID string, in Input) (*Event, error) {
	v, err := in.validate()
	if err != nil {
		return nil, err
	}
	e, err := s.Get(ctx, eventID)
	if err != nil {
		return nil, err
	}
	if e.RoomID != nil {
		return nil, errs.Failure(msgEditBound)
	}
	if !e.IsMember(uid) && e.UID != uid {
		return nil, errs.EventNotFound
	}
	if !v.includes(uid) {
		return nil, errs.Failure(msgBadParam)
	}
	upd := s.db.Event.Update().
		Where(entevent.ID(e.ID), entevent.Deleted(false), entevent.RoomIDIsNil()).
		SetName(v.name).SetMemberUids(v.members).SetEventTime(v.eventTime).
		SetSequenceID(ids.Seq(v.eventTime, e.ID)).SetUpdateTime(ids.Ms(s.now()))
	if v.desc != nil {
		upd.SetDesc(*v.desc)
	} else {
		upd.ClearDesc()
	}
	n, err := upd.Save(ctx)
	if err != nil {
		return nil, err
	}
	if n == 0 { // deleted or started meanwhile
		return nil, s.whyUnchanged(ctx, e.ID, msgEditBound)
	}
	return s.Get(ctx, e.ID)
}

// whyUnchanged explains a conditional write that matched nothing.
func (s *Service) whyUnchanged(ctx context.Context, eventID, boundMsg string) error {
	e, err := s.Get(ctx, eventID)
	if err != nil {
		return err
	}
	if e.RoomID != nil {
		return errs.Failure(boundMsg)
	}
	return errs.EventNotFound
}

// Delete deletes an event (spec E3) and its reminders: only its creator or one
// of its hosts or guests may, and not once it is bound to a room.
func (s *Service) Delete(ctx context.Context, uid, eventID string) error {
	e, err := s.Get(ctx, eventID)
	if err != nil {
		return err
	}
	if e.RoomID != nil {
		return errs.Failure(msgDeleteBound)
	}
	if !e.IsMember(uid) && e.UID != uid {
		return errs.Failure(msgNoPermission)
	}
	return entdb.WithTx(ctx, s.db, func(tx *ent.Tx) error {
		n, err := tx.Event.Update().Where(entevent.ID(e.ID), entevent.Deleted(false), entevent.RoomIDIsNil()).
			SetDeleted(true).SetUpdateTime(ids.Ms(s.now())).Save(ctx)
		if err != nil {
			return err
		}
		if n == 0 {
			return s.whyUnchanged(ctx, e.ID, msgDeleteBound)
		}
		_, err = tx.EventReminder.Delete().Where(eventreminder.EventID(e.ID)).Exec(ctx)
		return err
	})
}

// List returns the public events ascending by time, from one hour ago.
func (s *Service) List(ctx context.Context, args page.Args) ([]*FeedItem, page.Info, error) {
	after := args.After
	if after == "" {
		after = ids.Seq(ids.Ms(s.now().Add(-listLookBack)), zeroID)
	}
	rows, err := s.db.Event.Query().
		Where(entevent.Deleted(false), entevent.SequenceIDGT(after)).
		Order(ent.Asc(entevent.FieldSequenceID)).Limit(args.First + 1).All(ctx)
	if err != nil {
		return nil, page.Info{}, err
	}
	items := make([]*FeedItem, len(rows))
	for i, r := range rows {
		e := s.fromEnt(r)
		items[i] = &FeedItem{EventID: e.ID, EventTime: e.EventTime, SequenceID: e.SequenceID, Event: e}
	}
	items, info := page.Trim(items, args.First, (*FeedItem).Cursor)
	return items, info, nil
}

// Book books uid a reminder of an event (spec E6); booking twice changes
// nothing.
func (s *Service) Book(ctx context.Context, uid, eventID string) error {
	e, err := s.Get(ctx, eventID)
	if err != nil {
		return err
	}
	switch {
	case e.IsMember(uid):
		return errs.Failure(msgMemberBooks)
	case e.RoomID != nil:
		return errs.Failure(msgBookBound)
	case e.TimeStatus == StatusExpired:
		return errs.Failure(msgBookExpired)
	}
	err = s.db.EventReminder.Create().SetEventID(e.ID).SetUID(uid).SetCreateTime(ids.Ms(s.now())).
		OnConflictColumns(eventreminder.FieldEventID, eventreminder.FieldUID).DoNothing().Exec(ctx)
	if errors.Is(err, stdsql.ErrNoRows) {
		return nil // already booked (ent reports the skipped insert so)
	}
	return err
}

// Bookings reports which of the events uid has booked a reminder of.
func (s *Service) Bookings(ctx context.Context, uid string, eventIDs []string) (map[string]bool, error) {
	out := make(map[string]bool, len(eventIDs))
	if uid == "" || len(eventIDs) == 0 {
		return out, nil
	}
	rows, err := s.db.EventReminder.Query().
		Where(eventreminder.UID(uid), eventreminder.EventIDIn(eventIDs...)).
		Select(eventreminder.FieldEventID).Strings(ctx)
	if err != nil {
		return nil, err
	}
	for _, id := range rows {
		out[id] = true
	}
	return out, nil
}

// Start opens the live room of an event (spec E7): one of its hosts or guests
// may, within 30 minutes of its time. The room is public, named after the
// event and created by the caller; in the same transaction the event is
// bound to it, every booker is told that it started (a system notice) and
// their pending reminders are marked sent, so the reminder job sends them
// nothing more. Starting a started event answers it as it is.
func (s *Service) Start(ctx context.Context, uid, eventID string) (*Event, error) {
	e, err := s.Get(ctx, eventID)
	if err != nil {
		return nil, err
	}
	switch {
	case !e.IsMember(uid):
		return nil, errs.Failure(msgNoPermission)
	case e.TimeStatus == StatusNotStarted:
		return nil, errs.Failure(msgNotYet)
	case e.TimeStatus == StatusExpired:
		return nil, errs.Failure(msgExpired)
	case e.RoomID != nil:
		return e, nil
	}
	announce := func() {}
	won := false
	err = entdb.WithTx(ctx, s.db, func(tx *ent.Tx) error {
		c := tx.Client()
		r, err := s.rooms.CreatePublic(ctx, c, uid, e.Name)
		if err != nil {
			return err
		}
		nowMs := ids.Ms(s.now())
		n, err := c.Event.Update().Where(entevent.ID(e.ID), entevent.Deleted(false), entevent.RoomIDIsNil()).
			SetRoomID(r.ID).SetUpdateTime(nowMs).Save(ctx)
		if err != nil {
			return err
		}
		if n == 0 {
			return errLostRace
		}
		won = true
		if _, err := c.EventReminder.Update().
			Where(eventreminder.EventID(e.ID), eventreminder.NotifyTimeIsNil()).
			SetNotifyTime(nowMs).Save(ctx); err != nil {
			return err
		}
		bookers, err := c.EventReminder.Query().Where(eventreminder.EventID(e.ID)).
			Select(eventreminder.FieldUID).Strings(ctx)
		if err != nil {
			return err
		}
		notices := make([]message.Notice, len(bookers))
		for i, b := range bookers {
			notices[i] = message.Notice{UID: b, OriginPushType: push.OriginSystem,
				Title: startedNotice, Content: e.Name, URL: "chaoqer://room/" + r.ID}
		}
		announce, err = s.messages.Store(ctx, c, notices...)
		return err
	})
	if err != nil && !errors.Is(err, errLostRace) {
		return nil, err
	}
	if won {
		announce()
	}
	// Started by this call or, having lost a race, by another: answer the
	// event as stored (its room, or why it is gone).
	return s.Get(ctx, e.ID)
}

// errLostRace rolls back a start whose event another call bound first.
var errLostRace = errors.New("event: started concurrently")
