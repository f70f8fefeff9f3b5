// Package kvstore keeps small expiring values in the database so that every
// server instance sees them: duplicate-call locks, resend intervals, rate-limit
// guards and provider tokens. It replaces the Redis keys of the original.
package kvstore

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"

	"chaoqer/ent"
	"chaoqer/ent/kv"
)

// Store reads and writes expiring keys.
type Store struct {
	client  *ent.Client
	dialect string
	now     func() time.Time
}

// New returns a store over client; dialect is the ent dialect name.
func New(client *ent.Client, dialect string) *Store {
	return &Store{client: client, dialect: dialect, now: time.Now}
}

// SetClock replaces the time source (tests).
func (s *Store) SetClock(now func() time.Time) { s.now = now }

// Acquire sets key for ttl unless an unexpired value is already there. It
// reports whether this call took the key. Two instances racing for the same
// key never both win: the upsert only overwrites an expired row.
func (s *Store) Acquire(ctx context.Context, key string, ttl time.Duration) (bool, error) {
	return s.put(ctx, key, "", ttl, true)
}

// SetIfAbsent stores value under key for ttl unless an unexpired value is
// already there; it reports whether this call stored it. Instances racing to
// initialise a shared value (e.g. a signing key) agree on the winner's.
func (s *Store) SetIfAbsent(ctx context.Context, key, value string, ttl time.Duration) (bool, error) {
	return s.put(ctx, key, value, ttl, true)
}

// Set stores value under key for ttl, replacing any previous value.
func (s *Store) Set(ctx context.Context, key, value string, ttl time.Duration) error {
	_, err := s.put(ctx, key, value, ttl, false)
	return err
}

func (s *Store) put(ctx context.Context, key, value string, ttl time.Duration, onlyIfExpired bool) (bool, error) {
	now := s.now().UnixMilli()
	opts := []entsql.ConflictOption{
		entsql.ConflictColumns(kv.FieldID),
		entsql.ResolveWith(func(u *entsql.UpdateSet) {
			u.SetExcluded(kv.FieldValue)
			u.SetExcluded(kv.FieldExpireTime)
		}),
	}
	if onlyIfExpired {
		opts = append(opts, entsql.UpdateWhere(entsql.LTE(kv.FieldExpireTime, now)))
	}
	query, args := entsql.Dialect(s.dialect).
		Insert(kv.Table).
		Columns(kv.FieldID, kv.FieldValue, kv.FieldExpireTime).
		Values(key, value, now+ttl.Milliseconds()).
		OnConflict(opts...).
		Query()
	res, err := s.client.ExecContext(ctx, query, args...)
	if err != nil {
		return false, fmt.Errorf("kvstore put %q: %w", key, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, err
	}
	return n > 0, nil
}

// Incr adds one to the counter under key and returns the new count. A
// missing or expired counter starts again at 1 and expires ttl later (a
// fixed window from its first increment). One statement, so instances
// counting at once never lose an increment.
func (s *Store) Incr(ctx context.Context, key string, ttl time.Duration) (int, error) {
	now := s.now().UnixMilli()
	t, id, val, exp := kv.Table, kv.FieldID, kv.FieldValue, kv.FieldExpireTime
	ph := func(i int) string {
		if s.dialect == dialect.Postgres {
			return fmt.Sprintf("$%d", i)
		}
		return fmt.Sprintf("?%d", i)
	}
	query := fmt.Sprintf(`INSERT INTO %[1]s (%[2]s, %[3]s, %[4]s) VALUES (%[5]s, '1', %[6]s)
ON CONFLICT (%[2]s) DO UPDATE SET
 %[3]s = CASE WHEN %[1]s.%[4]s <= %[7]s THEN '1' ELSE CAST(CAST(%[1]s.%[3]s AS INTEGER) + 1 AS TEXT) END,
 %[4]s = CASE WHEN %[1]s.%[4]s <= %[7]s THEN excluded.%[4]s ELSE %[1]s.%[4]s END
RETURNING %[3]s`, t, id, val, exp, ph(1), ph(2), ph(3))
	rows, err := s.client.QueryContext(ctx, query, key, now+ttl.Milliseconds(), now)
	if err != nil {
		return 0, fmt.Errorf("kvstore incr %q: %w", key, err)
	}
	defer rows.Close()
	var v string
	if !rows.Next() {
		return 0, fmt.Errorf("kvstore incr %q: no row returned", key)
	}
	if err := rows.Scan(&v); err != nil {
		return 0, err
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return 0, fmt.Errorf("kvstore incr %q: not a counter: %w", key, err)
	}
	return n, rows.Err()
}

// Count returns the unexpired counter under key (0 when there is none).
func (s *Store) Count(ctx context.Context, key string) (int, error) {
	v, ok, err := s.Get(ctx, key)
	if err != nil || !ok {
		return 0, err
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return 0, fmt.Errorf("kvstore count %q: not a counter: %w", key, err)
	}
	return n, nil
}

// Get returns the unexpired value under key.
func (s *Store) Get(ctx context.Context, key string) (string, bool, error) {
	row, err := s.client.KV.Query().
		Where(kv.ID(key), kv.ExpireTimeGT(s.now().UnixMilli())).
		Only(ctx)
	if ent.IsNotFound(err) {
		return "", false, nil
	}
	if err != nil {
		return "", false, err
	}
	return row.Value, true, nil
}

// Delete removes key.
func (s *Store) Delete(ctx context.Context, key string) error {
	_, err := s.client.KV.Delete().Where(kv.ID(key)).Exec(ctx)
	return err
}

// Sweep deletes expired keys; it returns how many went.
func (s *Store) Sweep(ctx context.Context) (int, error) {
	return s.client.KV.Delete().Where(kv.ExpireTimeLTE(s.now().UnixMilli())).Exec(ctx)
}
