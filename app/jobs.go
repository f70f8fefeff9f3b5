package app

import (
	"context"
	"time"

	"chaoqer/graph/kvstore"
)

// startJobs starts the background work: the janitor, the live-room service's
// loops and (unless disabled) the event reminders. Close stops them.
func (a *App) startJobs(s *services) {
	log := a.log
	jobCtx, stop := context.WithCancel(context.Background())
	a.stop = stop
	a.background(func() { a.janitor(jobCtx, s.kv) })
	a.background(func() { a.Live.Run(jobCtx) })
	if a.Config.ReminderInterval > 0 {
		a.background(func() { a.Resolver.Events.RunReminders(jobCtx, a.Config.ReminderInterval, log) })
	} else {
		log.Info("event reminder job disabled on this instance (CHAOQER_REMINDER_INTERVAL=0)")
	}
}

// background runs job until the app closes.
func (a *App) background(job func()) {
	a.jobs.Add(1)
	go func() {
		defer a.jobs.Done()
		job()
	}()
}

// janitor deletes expired rows every minute.
func (a *App) janitor(ctx context.Context, kv *kvstore.Store) {
	log := a.log
	t := time.NewTicker(time.Minute)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if _, err := kv.Sweep(ctx); err != nil && ctx.Err() == nil {
				log.Warn("sweeping expired keys", "err", err)
			}
			if err := a.Resolver.Accounts.SweepSMSLog(ctx); err != nil && ctx.Err() == nil {
				log.Warn("sweeping the SMS log", "err", err)
			}
			if _, err := a.Resolver.Rooms.SweepSnapshots(ctx); err != nil && ctx.Err() == nil {
				log.Warn("sweeping expired share snapshots", "err", err)
			}
		}
	}
}
