package live

import (
	"context"
	"time"

	"chaoqer/ent/entdb"
	"chaoqer/ent/presence"
)

// sweepLease is the kvstore key that lets one instance sweep at a time.
const sweepLease = "live:sweeper"

// Run refreshes this instance's presence rows, removes the rows of
// instances that stopped refreshing, and sweeps abandoned rooms, until ctx
// ends.
func (s *Service) Run(ctx context.Context) {
	refresh := time.NewTicker(s.cfg.RefreshEvery)
	defer refresh.Stop()
	sweep := time.NewTicker(s.cfg.SweepEvery)
	defer sweep.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-refresh.C:
			if err := s.Refresh(ctx); err != nil && ctx.Err() == nil {
				s.log.Warn("live rooms: refreshing presence", "err", err)
			}
			if err := s.Reap(ctx); err != nil && ctx.Err() == nil {
				s.log.Warn("live rooms: removing stale presence", "err", err)
			}
		case <-sweep.C:
			if err := s.Sweep(ctx); err != nil && ctx.Err() == nil {
				s.log.Warn("live rooms: sweeping empty rooms", "err", err)
			}
		}
	}
}

// Refresh marks every presence row of this instance as seen now (one
// statement), and ends local connections whose row another instance
// removed (this instance looked dead to it), so their clients reconnect.
//
// Only connections whose join committed before the snapshot query began
// can be judged by it: each connection records the refresh generation it
// read after its commit, and this refresh (generation g, taken before the
// query) judges only those that read less than g. A join that commits
// while the query runs reads g or more and is left for the next refresh.
func (s *Service) Refresh(ctx context.Context) error {
	generation := s.refreshes.Add(1)
	current, err := s.db.Client.Presence.Query().Where(presence.InstanceID(s.cfg.InstanceID)).
		Select(presence.FieldConnID).Strings(ctx)
	if err != nil {
		return err
	}
	if _, err := s.db.Client.Presence.Update().Where(presence.InstanceID(s.cfg.InstanceID)).
		SetSeenTime(s.nowMs()).Save(ctx); err != nil {
		return err
	}
	have := make(map[string]bool, len(current))
	for _, id := range current {
		have[id] = true
	}
	for _, c := range s.hub.all() {
		c.mu.Lock()
		lost := c.ready && !c.closing && !have[c.ID] && c.joinedAt < generation
		c.mu.Unlock()
		if lost {
			c.kick()
		}
	}
	return nil
}

// Reclaim removes the presence rows this instance held before it
// restarted, at once: spec §4.1 empties presence at start (the rooms stay
// open and their members reconnect). Each row leaves like a reaped one —
// the others in the room hear the leave, a speaker may become host, the
// room is never closed — and rows of other instances, or of connections
// this instance holds now, are not touched. It needs an InstanceID that
// survives restarts (a random one owns no rows); call it before serving.
func (s *Service) Reclaim(ctx context.Context) error {
	rows, err := s.db.Client.Presence.Query().Where(presence.InstanceID(s.cfg.InstanceID)).All(ctx)
	if err != nil || len(rows) == 0 {
		return err
	}
	held := map[string]bool{} // read after the rows: a join registers before it commits
	for _, c := range s.hub.all() {
		held[c.ID] = true
	}
	removed := 0
	for _, p := range rows {
		if held[p.ConnID] {
			continue
		}
		if err := s.leave(ctx, p.RoomID, p.UID, p.ConnID, false); err != nil {
			return err
		}
		removed++
	}
	s.log.Info("live rooms: removed the presence this instance held before it restarted",
		"instance", s.cfg.InstanceID, "members", removed)
	return nil
}

// Reap removes presence rows of other instances not seen for StaleAfter,
// as leaves that never close a room (a crash is not a host leaving).
func (s *Service) Reap(ctx context.Context) error {
	stale, err := s.db.Client.Presence.Query().
		Where(presence.SeenTimeLT(s.nowMs()-s.cfg.StaleAfter.Milliseconds()), presence.InstanceIDNEQ(s.cfg.InstanceID)).
		Limit(1000).All(ctx)
	if err != nil {
		return err
	}
	for _, p := range stale {
		if err := s.leave(ctx, p.RoomID, p.UID, p.ConnID, false); err != nil {
			return err
		}
	}
	return nil
}

// Sweep closes open rooms that nobody has been connected to for SweepAfter
// (counted from the last leave, or from the creation for a room nobody
// joined). One instance sweeps at a time; closing is idempotent anyway.
func (s *Service) Sweep(ctx context.Context) error {
	took, err := s.kv.Acquire(ctx, sweepLease, s.cfg.SweepEvery/2)
	if err != nil || !took {
		return err
	}
	rooms, err := s.abandonedRooms(ctx, s.nowMs()-s.cfg.SweepAfter.Milliseconds())
	if err != nil {
		return err
	}
	for _, id := range rooms {
		if err := s.closeRoom(ctx, id); err != nil {
			return err
		}
	}
	if len(rooms) > 0 {
		s.log.Info("live rooms: closed abandoned rooms", "count", len(rooms))
	}
	return nil
}

// abandonedRooms lists up to 200 open rooms with nobody connected whose last
// leave (or creation) is before cutoff (Unix ms). Its rows are closed before
// Sweep closes the rooms.
func (s *Service) abandonedRooms(ctx context.Context, cutoff int64) ([]string, error) {
	q := `SELECT r.id FROM rooms r WHERE r.closed = ? AND COALESCE(r.empty_since, r.create_time) < ?
		AND NOT EXISTS (SELECT 1 FROM room_presences p WHERE p.room_id = r.id) LIMIT 200`
	rows, err := s.db.Client.QueryContext(ctx, entdb.Rebind(s.db.Dialect, q), false, cutoff)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var rooms []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		rooms = append(rooms, id)
	}
	return rooms, rows.Err()
}
