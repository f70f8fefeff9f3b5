package account

import (
	"context"
	"encoding/base64"
	"strings"
	"sync/atomic"
	"time"

	lru "github.com/hashicorp/golang-lru/v2"
	"golang.org/x/sync/singleflight"

	"chaoqer/ent"
	entaccount "chaoqer/ent/account"
	"chaoqer/ent/entdb"
	"chaoqer/ent/pushdevice"
	"chaoqer/ent/session"
	"chaoqer/graph/errs"
	"chaoqer/graph/ids"
	"chaoqer/graph/viewer"
)

// cachedSession is what an instance remembers of a session between requests.
type cachedSession struct {
	tokenHash string
	secret    string
	status    int
	expire    int64
	renewed   int64
	loadedAt  time.Time
}

// sessionCache is a bounded, short-lived accelerator in front of the
// sessions table; correctness never depends on it beyond its TTL. When an
// entry is missing or expired, the concurrent requests of that user share
// one load (flight) instead of each reading the same rows.
type sessionCache struct {
	ttl    time.Duration
	now    func() time.Time
	lru    *lru.Cache[string, cachedSession]
	flight singleflight.Group

	// Tests only: called when a request misses the cache, and when a load
	// starts.
	onMiss, onLoad func()
	// lookups counts the headers checked (AuthenticateHeader calls not
	// answered from the request's context); tests read it to show that a
	// request checks its credentials once.
	lookups atomic.Int64
}

func newSessionCache(ttl time.Duration, size int) *sessionCache {
	c, _ := lru.New[string, cachedSession](size)
	return &sessionCache{ttl: ttl, now: time.Now, lru: c}
}

func (c *sessionCache) get(uid string) (cachedSession, bool) {
	cs, ok := c.lru.Get(uid)
	if !ok || c.now().Sub(cs.loadedAt) > c.ttl {
		return cachedSession{}, false
	}
	return cs, true
}

func (c *sessionCache) put(uid string, cs cachedSession) { c.lru.Add(uid, cs) }

// drop forgets uid's entry; a request after it does not join a load that
// started before.
func (c *sessionCache) drop(uid string) {
	c.lru.Remove(uid)
	c.flight.Forget(uid)
}

// Authenticate checks uid and token and returns the viewer. Only accounts in
// status 0 or 1 with an unexpired session pass; the token is always compared
// (in constant time, against its stored hash).
func (s *Service) Authenticate(ctx context.Context, uid, token string) (*viewer.Viewer, error) {
	if !ids.Valid(uid) || token == "" {
		return nil, errs.Unauthenticated
	}
	cs, ok := s.cache.get(uid)
	if !ok {
		lctx, cancel := s.checking(ctx)
		var err error
		cs, err = s.sharedLoad(lctx, uid)
		cancel()
		if err != nil {
			return nil, err
		}
	}
	nowMs := ids.Ms(s.now())
	if !tokensEqual(cs.tokenHash, hashToken(token)) || cs.expire <= nowMs {
		return nil, errs.Unauthenticated
	}
	if cs.status != viewer.StatusDefault && cs.status != viewer.StatusNormal {
		return nil, errs.Unauthenticated
	}
	if nowMs-cs.renewed > renewEvery.Milliseconds() {
		rctx, cancel := s.checking(ctx)
		err := s.renew(rctx, uid, token, nowMs)
		cancel()
		if err != nil {
			return nil, err
		}
	}
	return &viewer.Viewer{UID: uid, Status: cs.status, Secret: cs.secret}, nil
}

// checking bounds ctx by CheckTimeout for a check's database work (only on
// a cache miss or a renewal: a cached session costs no timer).
func (s *Service) checking(ctx context.Context) (context.Context, context.CancelFunc) {
	if s.checkTimeout <= 0 {
		return ctx, func() {}
	}
	return context.WithTimeout(ctx, s.checkTimeout)
}

// sessionLoadTimeout bounds a shared session load, which outlives the
// request that started it.
const sessionLoadTimeout = 10 * time.Second

// sharedLoad loads uid's session once for all the requests that miss the
// cache at the same time. The load does not stop when the request that
// started it is canceled: the others wait for it too (for at most
// sessionLoadTimeout). Each request waits only until its own deadline
// (at most CheckTimeout) and then fails with its context's error, which
// the endpoints answer as "request canceled".
func (s *Service) sharedLoad(ctx context.Context, uid string) (cachedSession, error) {
	if s.cache.onMiss != nil {
		s.cache.onMiss()
	}
	done := s.cache.flight.DoChan(uid, func() (any, error) {
		// A load that ended between this request's miss and its joining
		// the flight has filled the cache: a straggler uses that entry.
		if cs, ok := s.cache.get(uid); ok {
			return cs, nil
		}
		if s.cache.onLoad != nil {
			s.cache.onLoad()
		}
		lctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), sessionLoadTimeout)
		defer cancel()
		return s.loadSession(lctx, uid)
	})
	select {
	case r := <-done:
		if r.Err != nil {
			return cachedSession{}, r.Err
		}
		return r.Val.(cachedSession), nil
	case <-ctx.Done():
		return cachedSession{}, ctx.Err()
	}
}

// loadSession reads uid's session and account status and caches them.
func (s *Service) loadSession(ctx context.Context, uid string) (cachedSession, error) {
	sess, err := s.db.Session.Get(ctx, uid)
	if ent.IsNotFound(err) {
		return cachedSession{}, errs.Unauthenticated
	}
	if err != nil {
		return cachedSession{}, err
	}
	status, err := s.db.Account.Query().Where(entaccount.ID(uid)).Select(entaccount.FieldStatus).Int(ctx)
	if ent.IsNotFound(err) {
		return cachedSession{}, errs.Unauthenticated
	}
	if err != nil {
		return cachedSession{}, err
	}
	cs := cachedSession{tokenHash: sess.TokenHash, secret: sess.Secret, status: status,
		expire: sess.ExpireTime, renewed: sess.RenewTime, loadedAt: s.now()}
	s.cache.put(uid, cs)
	return cs, nil
}

// renew slides the session's expiry to now+30 days, at most once a day.
// The update is conditional on the token, so it can never revive a session
// that a logout or a newer login replaced meanwhile.
func (s *Service) renew(ctx context.Context, uid, token string, nowMs int64) error {
	_, err := s.db.Session.Update().
		Where(session.ID(uid), session.TokenHash(hashToken(token))).
		SetExpireTime(nowMs + SessionTTL.Milliseconds()).
		SetRenewTime(nowMs).SetUpdateTime(nowMs).
		Save(ctx)
	s.cache.drop(uid)
	return err
}

// SetStatus records a new account status (profile init) and forgets the
// cached session so the next request sees it.
func (s *Service) SetStatus(ctx context.Context, db *ent.Client, uid string, status int) error {
	err := db.Account.UpdateOneID(uid).SetStatus(status).SetUpdateTime(ids.Ms(s.now())).Exec(ctx)
	s.cache.drop(uid)
	return err
}

// Forget drops uid from this instance's session cache.
func (s *Service) Forget(uid string) { s.cache.drop(uid) }

// TouchActive records the caller's last activity and client version, at most
// once a minute per user and instance, in the background.
func (s *Service) TouchActive(uid string, c viewer.Client) {
	nowMs := ids.Ms(s.now())
	if last, ok := s.active.Load(uid); ok && nowMs-last.(int64) < activeEvery.Milliseconds() {
		return
	}
	s.active.Store(uid, nowMs)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		err := s.db.Account.UpdateOneID(uid).SetActiveTime(nowMs).SetClientType(c.Type).
			SetVersionName(c.VersionName).SetVersionCode(c.VersionCode).Exec(ctx)
		if err != nil && !ent.IsNotFound(err) {
			s.log.Warn("recording activity failed", "err", err)
		}
	}()
}

// maxDeviceID bounds a push registration id (JPush's are about 20 characters).
const maxDeviceID = 128

const msgBadDeviceID = "jPushId格式不正确"

// BindDevice makes deviceID the only push device of uid (spec §9.3).
func (s *Service) BindDevice(ctx context.Context, uid, deviceID string) error {
	if strings.TrimSpace(deviceID) == "" || len(deviceID) > maxDeviceID {
		return errs.Failure(msgBadDeviceID)
	}
	cur, err := s.db.PushDevice.Query().Where(pushdevice.ID(deviceID)).Only(ctx)
	if err == nil && cur.UID == uid {
		return nil // already bound: nothing to do
	}
	if err != nil && !ent.IsNotFound(err) {
		return err
	}
	nowMs := ids.Ms(s.now())
	err = entdb.WithTx(ctx, s.db, func(tx *ent.Tx) error {
		if _, err := tx.PushDevice.Delete().Where(pushdevice.UID(uid)).Exec(ctx); err != nil {
			return err
		}
		return tx.PushDevice.Create().SetID(deviceID).SetUID(uid).SetCreateTime(nowMs).SetUpdateTime(nowMs).
			OnConflictColumns(pushdevice.FieldID).UpdateNewValues().Exec(ctx)
	})
	if err != nil {
		return err
	}
	s.push.Bind(uid, deviceID)
	return nil
}

func (s *Service) unbindDevices(ctx context.Context, uid string) error {
	if _, err := s.db.PushDevice.Delete().Where(pushdevice.UID(uid)).Exec(ctx); err != nil {
		return err
	}
	s.push.Unbind(uid)
	return nil
}

// AuthenticateHeader checks an `Authorization: Basic base64(uid:token)`
// header. Malformed headers fail like wrong tokens (401), never with a 500.
// When ctx carries the outcome of an earlier check of header in the same
// request (viewer.WithAuthentication, recorded by the edge), that outcome
// is the answer: a request looks its session up once.
func (s *Service) AuthenticateHeader(ctx context.Context, header string) (*viewer.Viewer, error) {
	if a, ok := viewer.AuthenticationFrom(ctx, header); ok {
		return a.Viewer, a.Err
	}
	s.cache.lookups.Add(1)
	// The legacy gateway dropped the first six characters without looking
	// at them; accept exactly that shape.
	if len(header) <= 6 {
		return nil, errs.Unauthenticated
	}
	decoded, err := base64.StdEncoding.DecodeString(strings.TrimSpace(header[6:]))
	if err != nil {
		return nil, errs.Unauthenticated
	}
	uid, token, ok := strings.Cut(string(decoded), ":")
	if !ok || strings.Contains(token, ":") {
		return nil, errs.Unauthenticated
	}
	return s.Authenticate(ctx, uid, token)
}
