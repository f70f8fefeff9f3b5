// Package message stores users' notifications and pushes them (spec §9):
// every stored message is also announced to the user's devices with a silent
// "new notification" push and a visible alert, in the background.
package message

import (
	"chaoqer/graph/relay"
	"context"
	"encoding/json"
	"strconv"
	"time"

	"chaoqer/ent"
	entmessage "chaoqer/ent/message"
	"chaoqer/graph/ids"
	"chaoqer/graph/page"
	"chaoqer/graph/push"
)

// Message types.
const (
	TypeAttach = -1
	TypeAlert  = 0
)

// Notice is a notification to store and push to one user.
type Notice struct {
	UID            string
	OriginPushType int
	OriginUID      string // required for interactive notices
	Title          string
	Content        string
	URL            string
}

// Body is the stored {title, content, url} of a message.
type Body struct {
	Title   string `json:"title"`
	Content string `json:"content"`
	URL     string `json:"url"`
}

// Message is a stored notification as listed to its owner.
type Message struct {
	MessageID      int64
	UID            string
	OriginUID      *string
	OriginPushType int
	MessageType    int
	MessageBody    Body
	Unread         bool
	CreateTime     int64
}

// NodeID is the message's Relay global id (its key is the decimal messageId).
func (m *Message) NodeID() string { return relay.ID(relay.Message, strconv.FormatInt(m.MessageID, 10)) }

// Cursor is the message's legacy sequenceId: its id in decimal.
func (m *Message) Cursor() string { return strconv.FormatInt(m.MessageID, 10) }

// Service stores and lists messages.
type Service struct {
	db   *ent.Client
	push *push.Queue
	now  func() time.Time
}

// New returns the message service.
func New(db *ent.Client, pq *push.Queue) *Service {
	return &Service{db: db, push: pq, now: time.Now}
}

// SetClock replaces the time source (tests).
func (s *Service) SetClock(now func() time.Time) { s.now = now }

func valid(n Notice) bool {
	if !ids.Valid(n.UID) || n.OriginPushType < push.OriginSystem || n.OriginPushType > push.OriginInteractive {
		return false
	}
	return n.OriginPushType != push.OriginInteractive || n.OriginUID != ""
}

// Send stores the notices in one statement and pushes them. Invalid notices
// are dropped silently, as in the original pipeline.
func (s *Service) Send(ctx context.Context, notices ...Notice) error {
	announce, err := s.Store(ctx, s.db, notices...)
	if err != nil {
		return err
	}
	announce()
	return nil
}

// Store stores the notices through client (the service's own client or a
// transaction's, so that they commit or roll back with the rest of a write)
// in one statement, and returns the function that pushes them: call it once
// the transaction has committed. Invalid notices are dropped silently.
func (s *Service) Store(ctx context.Context, client *ent.Client, notices ...Notice) (func(), error) {
	nowMs := ids.Ms(s.now())
	builders := make([]*ent.MessageCreate, 0, len(notices))
	kept := notices[:0:0]
	for _, n := range notices {
		if !valid(n) {
			continue
		}
		body, err := json.Marshal(Body{Title: n.Title, Content: n.Content, URL: n.URL})
		if err != nil {
			return nil, err
		}
		b := client.Message.Create().SetUID(n.UID).SetOriginPushType(n.OriginPushType).
			SetMessageType(TypeAlert).SetBody(string(body)).SetUnread(true).
			SetCreateTime(nowMs).SetUpdateTime(nowMs)
		if n.OriginPushType == push.OriginInteractive {
			b.SetOriginUID(n.OriginUID)
		}
		builders = append(builders, b)
		kept = append(kept, n)
	}
	if len(builders) == 0 {
		return func() {}, nil
	}
	if err := client.Message.CreateBulk(builders...).Exec(ctx); err != nil {
		return nil, err
	}
	return func() {
		for _, n := range kept {
			s.push.Attach(n.UID, push.AttachNewNotification, map[string]any{})
			s.push.Alert(n.UID, push.Alert{OriginPushType: n.OriginPushType, Title: n.Title, Content: n.Content, URL: n.URL})
		}
	}, nil
}

// Messages reads uid's messages with the given ids, as List shows them
// (not deleted, owned by uid; reading marks nothing read); the others are
// absent from the map. One statement.
func (s *Service) Messages(ctx context.Context, uid string, messageIDs []int64) (map[int64]*Message, error) {
	out := make(map[int64]*Message, len(messageIDs))
	if len(messageIDs) == 0 {
		return out, nil
	}
	rows, err := s.db.Message.Query().
		Where(entmessage.UID(uid), entmessage.Deleted(0), entmessage.IDIn(messageIDs...)).All(ctx)
	if err != nil {
		return nil, err
	}
	for _, r := range rows {
		out[r.ID] = fromEnt(r)
	}
	return out, nil
}

func fromEnt(r *ent.Message) *Message {
	m := &Message{MessageID: r.ID, UID: r.UID, OriginUID: r.OriginUID, OriginPushType: r.OriginPushType,
		MessageType: r.MessageType, Unread: r.Unread, CreateTime: r.CreateTime}
	_ = json.Unmarshal([]byte(r.Body), &m.MessageBody)
	return m
}

// List returns uid's messages, newest first, and marks the listed ones read.
// The page shows them as they were before (a new message is still unread).
func (s *Service) List(ctx context.Context, uid string, args page.Args) ([]*Message, page.Info, error) {
	q := s.db.Message.Query().
		Where(entmessage.UID(uid), entmessage.Deleted(0)).
		Order(ent.Desc(entmessage.FieldID)).
		Limit(args.First + 1)
	if args.After != "" {
		q.Where(entmessage.IDLT(args.AfterNumber))
	}
	rows, err := q.All(ctx)
	if err != nil {
		return nil, page.Info{}, err
	}
	items := make([]*Message, 0, len(rows))
	var unread []int64
	for _, r := range rows {
		items = append(items, fromEnt(r))
	}
	items, info := page.Trim(items, args.First, (*Message).Cursor)
	for _, m := range items {
		if m.Unread {
			unread = append(unread, m.MessageID)
		}
	}
	if len(unread) > 0 {
		err := s.db.Message.Update().
			Where(entmessage.UID(uid), entmessage.IDIn(unread...)).
			SetUnread(false).SetUpdateTime(ids.Ms(s.now())).
			Exec(ctx)
		if err != nil {
			return nil, page.Info{}, err
		}
	}
	return items, info, nil
}

// UnreadTotal counts uid's unread, undeleted messages.
func (s *Service) UnreadTotal(ctx context.Context, uid string) (int, error) {
	return s.db.Message.Query().
		Where(entmessage.UID(uid), entmessage.Deleted(0), entmessage.Unread(true)).
		Count(ctx)
}
