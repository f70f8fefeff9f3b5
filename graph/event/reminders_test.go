package event_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"chaoqer/ent"
	"chaoqer/ent/entdb"
	"chaoqer/ent/entdb/entdbtest"
	"chaoqer/ent/eventreminder"
	entmessage "chaoqer/ent/message"
	"chaoqer/graph/event"
	"chaoqer/graph/ids"
	"chaoqer/graph/message"
	"chaoqer/graph/push"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// clock is a settable time source shared by the services of a test.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) set(t time.Time) { c.mu.Lock(); defer c.mu.Unlock(); c.t = t }

// instance is one server instance's event service over a shared database.
func instance(t *testing.T, db *entdb.DB, clk *clock) *event.Service {
	t.Helper()
	q := push.NewQueue(push.Log{Logger: quiet}, 1, 10_000, quiet)
	t.Cleanup(q.Close)
	msgs := message.New(db.Client, q)
	msgs.SetClock(clk.now)
	s := event.New(db, nil, nil, msgs)
	s.SetClock(clk.now)
	return s
}

// seedEvent stores an event at eventTime booked by n new users; it returns
// the event id and the bookers.
func seedEvent(t *testing.T, db *entdb.DB, eventTime time.Time, n int, mutate func(*ent.EventCreate)) (string, []string) {
	t.Helper()
	ctx := context.Background()
	id := ids.New()
	at := ids.Ms(eventTime)
	c := db.Client.Event.Create().SetID(id).SetUID(ids.New()).SetName("日程 " + id[:6]).
		SetMemberUids([]string{ids.New()}).SetEventTime(at).SetCreateTime(at - 3_600_000).
		SetUpdateTime(at - 3_600_000).SetSequenceID(ids.Seq(at, id))
	if mutate != nil {
		mutate(c)
	}
	if err := c.Exec(ctx); err != nil {
		t.Fatal(err)
	}
	bookers := make([]string, n)
	creates := make([]*ent.EventReminderCreate, n)
	for i := range bookers {
		bookers[i] = ids.New()
		creates[i] = db.Client.EventReminder.Create().SetEventID(id).SetUID(bookers[i]).SetCreateTime(at - 3_600_000)
	}
	if err := db.Client.EventReminder.CreateBulk(creates...).Exec(ctx); err != nil {
		t.Fatal(err)
	}
	return id, bookers
}

// notices returns, per uid, the stored messages that link to the event.
func notices(t *testing.T, db *entdb.DB, eventID string) map[string][]message.Body {
	t.Helper()
	rows, err := db.Client.Message.Query().All(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]message.Body{}
	for _, r := range rows {
		var b message.Body
		if err := json.Unmarshal([]byte(r.Body), &b); err != nil {
			t.Fatal(err)
		}
		if b.URL != "chaoqer://event/"+eventID {
			continue
		}
		if r.OriginPushType != push.OriginSystem || r.OriginUID != nil {
			t.Fatalf("reminder is not a system notice: %+v", r)
		}
		out[r.UID] = append(out[r.UID], b)
	}
	return out
}

func TestRemindersAreSentOnceWhenTheirTimeComes(t *testing.T) {
	db := entdbtest.Open(t)
	start := time.Date(2026, 5, 1, 20, 0, 0, 0, time.UTC)
	clk := &clock{t: start}
	s := instance(t, db, clk)
	ctx := context.Background()
	eid, bookers := seedEvent(t, db, start.Add(10*time.Minute), 3, nil)

	if n, err := s.SendDueReminders(ctx); err != nil || n != 0 {
		t.Fatalf("before its time: sent %d, %v", n, err)
	}
	clk.set(start.Add(9*time.Minute + 59*time.Second))
	if n, _ := s.SendDueReminders(ctx); n != 0 {
		t.Fatalf("a second early: sent %d", n)
	}
	clk.set(start.Add(10 * time.Minute))
	if n, err := s.SendDueReminders(ctx); err != nil || n != 3 {
		t.Fatalf("at its time: sent %d, %v", n, err)
	}
	got := notices(t, db, eid)
	for _, b := range bookers {
		if len(got[b]) != 1 || got[b][0].Title != event.DueNoticeTitle || got[b][0].Content != "日程 "+eid[:6] {
			t.Fatalf("notices of %s: %+v", b, got[b])
		}
	}
	sent, _ := db.Client.EventReminder.Query().Where(eventreminder.EventID(eid), eventreminder.NotifyTimeEQ(ids.Ms(clk.now()))).Count(ctx)
	if sent != 3 {
		t.Fatalf("%d reminders marked sent", sent)
	}
	clk.set(start.Add(11 * time.Minute))
	if n, _ := s.SendDueReminders(ctx); n != 0 {
		t.Fatalf("sent %d again", n)
	}
	if got := notices(t, db, eid); len(got) != 3 {
		t.Fatalf("notices after a second round %v", got)
	}
}

func TestStartedDeletedAndStaleEventsSendNothing(t *testing.T) {
	db := entdbtest.Open(t)
	now := time.Date(2026, 5, 1, 20, 0, 0, 0, time.UTC)
	clk := &clock{t: now}
	s := instance(t, db, clk)
	ctx := context.Background()
	started, _ := seedEvent(t, db, now.Add(-5*time.Minute), 2, func(c *ent.EventCreate) { c.SetRoomID(ids.New()) })
	deleted, _ := seedEvent(t, db, now.Add(-5*time.Minute), 2, func(c *ent.EventCreate) { c.SetDeleted(true) })
	stale, _ := seedEvent(t, db, now.Add(-31*time.Minute), 2, nil) // due while no instance ran, too long ago
	late, _ := seedEvent(t, db, now.Add(-29*time.Minute), 1, nil)  // due while no instance ran, still useful

	n, err := s.SendDueReminders(ctx)
	if err != nil || n != 1 {
		t.Fatalf("sent %d, %v; want only the late one", n, err)
	}
	for _, id := range []string{started, deleted, stale} {
		if got := notices(t, db, id); len(got) != 0 {
			t.Fatalf("event %s: notices %v", id, got)
		}
	}
	if len(notices(t, db, late)) != 1 {
		t.Fatal("the late reminder was not sent")
	}
	// Stale reminders are settled (never retried); the others stay pending.
	pending := func(id string) int {
		n, _ := db.Client.EventReminder.Query().Where(eventreminder.EventID(id), eventreminder.NotifyTimeIsNil()).Count(ctx)
		return n
	}
	if pending(stale) != 0 || pending(started) != 2 || pending(deleted) != 2 {
		t.Fatalf("pending: stale %d, started %d, deleted %d", pending(stale), pending(started), pending(deleted))
	}
}

func TestRemindersSurviveARestart(t *testing.T) {
	url := entdbtest.URL(t)
	open := func() *entdb.DB {
		db, err := entdb.Open(context.Background(), url)
		if err != nil {
			t.Fatal(err)
		}
		return db
	}
	now := time.Date(2026, 5, 1, 20, 0, 0, 0, time.UTC)
	clk := &clock{t: now}
	first := open()
	e1, _ := seedEvent(t, first, now.Add(-time.Minute), 2, nil)
	e2, _ := seedEvent(t, first, now.Add(5*time.Minute), 2, nil)
	if n, _ := instance(t, first, clk).SendDueReminders(context.Background()); n != 2 {
		t.Fatalf("first instance sent %d", n)
	}
	first.Close()

	// A new process on the same database: e1 is not sent again, e2 is sent
	// when due although it was booked before the restart.
	second := open()
	defer second.Close()
	s := instance(t, second, clk)
	if n, _ := s.SendDueReminders(context.Background()); n != 0 {
		t.Fatalf("after the restart sent %d", n)
	}
	clk.set(now.Add(6 * time.Minute))
	if n, _ := s.SendDueReminders(context.Background()); n != 2 {
		t.Fatalf("after the restart, at e2's time, sent %d", n)
	}
	if len(notices(t, second, e1)) != 2 || len(notices(t, second, e2)) != 2 {
		t.Fatal("each booker should have one notice per event")
	}
}

func TestRacingInstancesSendEachReminderOnce(t *testing.T) {
	url := entdbtest.URL(t)
	now := time.Date(2026, 5, 1, 20, 0, 0, 0, time.UTC)
	clk := &clock{t: now.Add(-time.Hour)}
	const instances, events, perEvent = 4, 3, 400 // 1200 reminders: more than one batch
	var dbs []*entdb.DB
	var services []*event.Service
	for i := 0; i < instances; i++ {
		db, err := entdb.Open(context.Background(), url)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		dbs = append(dbs, db)
		services = append(services, instance(t, db, clk))
	}
	var eventIDs []string
	for i := 0; i < events; i++ {
		id, _ := seedEvent(t, dbs[0], now.Add(-time.Duration(i)*time.Minute), perEvent, nil)
		eventIDs = append(eventIDs, id)
	}
	clk.set(now)

	var wg sync.WaitGroup
	sent := make([]int, instances)
	errs := make([]error, instances)
	for i, s := range services {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// Each instance keeps polling, as the job would on every tick.
			for round := 0; round < 5; round++ {
				n, err := s.SendDueReminders(context.Background())
				sent[i] += n
				if err != nil {
					errs[i] = err
					return
				}
			}
		}()
	}
	wg.Wait()
	total := 0
	for i := range sent {
		if errs[i] != nil {
			t.Fatalf("instance %d: %v", i, errs[i])
		}
		total += sent[i]
	}
	if total != events*perEvent {
		t.Fatalf("instances reported %v = %d notices, want %d", sent, total, events*perEvent)
	}
	stored, err := dbs[0].Client.Message.Query().Where(entmessage.OriginPushType(push.OriginSystem)).Count(context.Background())
	if err != nil || stored != events*perEvent {
		t.Fatalf("stored %d notices (%v), want %d", stored, err, events*perEvent)
	}
	for _, id := range eventIDs {
		for uid, got := range notices(t, dbs[0], id) {
			if len(got) != 1 {
				t.Fatalf("%s got %d notices of %s", uid, len(got), id)
			}
		}
	}
	t.Logf("split between instances: %v", sent)
}

func TestRunRemindersStopsWithItsContext(t *testing.T) {
	db := entdbtest.Open(t)
	now := time.Now()
	clk := &clock{t: now}
	s := instance(t, db, clk)
	eid, _ := seedEvent(t, db, now.Add(-time.Minute), 1, nil)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		s.RunReminders(ctx, 10*time.Millisecond, quiet)
	}()
	for i := 0; i < 500 && len(notices(t, db, eid)) == 0; i++ {
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	<-done
	if len(notices(t, db, eid)) != 1 {
		t.Fatal("the job did not send the due reminder")
	}
}
