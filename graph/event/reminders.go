package event

import (
	"context"
	"log/slog"
	"strings"
	"time"

	"entgo.io/ent/dialect"

	"chaoqer/ent"
	"chaoqer/ent/entdb"
	entevent "chaoqer/ent/event"
	"chaoqer/graph/ids"
	"chaoqer/graph/message"
	"chaoqer/graph/push"
)

// The notice a booker gets when a booked event's time comes (a system
// notice; the event's page is the link, since its room may not be open yet).
const (
	DueNoticeTitle = "你预约的日程开始了"
	dueNoticeURL   = "chaoqer://event/"
	reminderBatch  = 500
	staleAfter     = startWindow // a reminder found later than this is dropped
)

// claimDueSQL marks due, unsent reminders as sent and returns them. A
// reminder is due when its event's time has come and the event is neither
// deleted nor started (starting tells bookers and marks their reminders
// itself). The outer `notify_time IS NULL` is re-checked on every row the
// UPDATE locks, so when two instances claim at once each reminder goes to
// exactly one of them: SQLite runs writers one at a time, and PostgreSQL
// re-evaluates the condition after waiting for the other's commit. On
// PostgreSQL {lock} also makes concurrent instances skip the rows another
// one is claiming, so they share the work instead of queueing.
const claimDueSQL = `UPDATE event_reminders SET notify_time = ?
WHERE notify_time IS NULL AND id IN (
  SELECT r.id FROM event_reminders r JOIN events e ON e.id = r.event_id
  WHERE r.notify_time IS NULL AND e.deleted = ? AND e.room_id IS NULL AND e.event_time <= ?
  ORDER BY r.id LIMIT ?{lock}
) RETURNING event_id, uid`

// SendDueReminders tells every booker whose event's time has come, once:
// claiming the reminders, storing the notices and committing happen in one
// transaction, and the pushes follow the commit. Reminders of events more
// than 30 minutes past (e.g. after a long outage) are marked sent without a
// notice. It returns how many notices were sent.
func (s *Service) SendDueReminders(ctx context.Context) (int, error) {
	sent := 0
	for {
		n, claimed, err := s.sendDueBatch(ctx)
		sent += n
		if err != nil || claimed < reminderBatch {
			return sent, err
		}
	}
}

func (s *Service) sendDueBatch(ctx context.Context) (sent, claimed int, err error) {
	now := s.now()
	nowMs := ids.Ms(now)
	announce := func() {}
	err = entdb.WithTx(ctx, s.db, func(tx *ent.Tx) error {
		lock := ""
		if s.dialect == dialect.Postgres {
			lock = " FOR UPDATE OF r SKIP LOCKED"
		}
		q := strings.Replace(claimDueSQL, "{lock}", lock, 1)
		type due struct{ eventID, uid string }
		var dues []due
		eventIDs := map[string]bool{}
		// The rows are closed before the next statement of the transaction.
		err := func() error {
			rows, err := tx.QueryContext(ctx, entdb.Rebind(s.dialect, q), nowMs, false, nowMs, reminderBatch)
			if err != nil {
				return err
			}
			defer rows.Close()
			for rows.Next() {
				var d due
				if err := rows.Scan(&d.eventID, &d.uid); err != nil {
					return err
				}
				dues = append(dues, d)
				eventIDs[d.eventID] = true
			}
			return rows.Err()
		}()
		if err != nil {
			return err
		}
		claimed = len(dues)
		if claimed == 0 {
			return nil
		}
		idList := make([]string, 0, len(eventIDs))
		for id := range eventIDs {
			idList = append(idList, id)
		}
		events, err := tx.Event.Query().Where(entevent.IDIn(idList...)).
			Select(entevent.FieldID, entevent.FieldName, entevent.FieldEventTime).All(ctx)
		if err != nil {
			return err
		}
		byID := make(map[string]*ent.Event, len(events))
		for _, e := range events {
			byID[e.ID] = e
		}
		var notices []message.Notice
		for _, d := range dues {
			e := byID[d.eventID]
			if e == nil || nowMs-e.EventTime > staleAfter.Milliseconds() {
				continue
			}
			notices = append(notices, message.Notice{UID: d.uid, OriginPushType: push.OriginSystem,
				Title: DueNoticeTitle, Content: e.Name, URL: dueNoticeURL + e.ID})
		}
		sent = len(notices)
		announce, err = s.messages.Store(ctx, tx.Client(), notices...)
		return err
	})
	if err != nil {
		return 0, 0, err
	}
	announce()
	return sent, claimed, nil
}

// RunReminders sends due reminders every interval until ctx ends. Any
// number of server instances may run it: each reminder is claimed by one.
// A failed round is logged and retried at the next tick; as the state is in
// the database, reminders due while no instance ran are sent at the next
// start.
func (s *Service) RunReminders(ctx context.Context, interval time.Duration, log *slog.Logger) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if _, err := s.SendDueReminders(ctx); err != nil && ctx.Err() == nil {
			log.Warn("sending due event reminders", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
