package account

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"regexp"
	"sync"
	"testing"
	"time"

	"chaoqer/ent"
	"chaoqer/ent/entdb"
	"chaoqer/ent/entdb/entdbtest"
	"chaoqer/graph/errs"
	"chaoqer/graph/kvstore"
	"chaoqer/graph/push"
	"chaoqer/graph/viewer"
)

// fakeSMS records the codes it was asked to send.
type fakeSMS struct {
	mu    sync.Mutex
	codes map[string]string
	sent  chan struct{}
}

func (f *fakeSMS) SendCode(_ context.Context, cc, mobile, code string) error {
	f.mu.Lock()
	f.codes[cc+mobile] = code
	f.mu.Unlock()
	f.sent <- struct{}{}
	return nil
}

func (f *fakeSMS) code(t *testing.T, cc, mobile string) string {
	t.Helper()
	select {
	case <-f.sent:
	case <-time.After(5 * time.Second):
		t.Fatal("no SMS sent")
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.codes[cc+mobile]
}

type fixture struct {
	svc   *Service
	store *entdb.DB
	sms   *fakeSMS
	db    *ent.Client
	clock time.Time
}

func (f *fixture) advance(d time.Duration) { f.clock = f.clock.Add(d) }

func newFixture(t *testing.T) *fixture {
	return newFixtureWith(t, Config{})
}

// newFixtureWith is newFixture with cfg's per-address limits.
func newFixtureWith(t *testing.T, cfg Config) *fixture {
	db := entdbtest.Open(t)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	q := push.NewQueue(push.Log{Logger: log}, 1, 100, log)
	t.Cleanup(q.Close)
	f := &fixture{sms: &fakeSMS{codes: map[string]string{}, sent: make(chan struct{}, 100)}, db: db.Client, store: db,
		clock: time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)}
	kv := kvstore.New(db.Client, db.Dialect)
	kv.SetClock(func() time.Time { return f.clock })
	cfg.WhiteMobiles, cfg.SessionCacheTTL = []string{"13800000001"}, time.Hour
	f.svc = New(db.Client, kv, f.sms, q, log, cfg)
	f.svc.SetClock(func() time.Time { return f.clock })
	return f
}

func wantFailure(t *testing.T, err error, msg string) {
	t.Helper()
	e, ok := errs.As(err)
	if !ok || e.Message != msg {
		t.Fatalf("want failure %q, got %v", msg, err)
	}
}

func TestPhoneValidation(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	for _, c := range []struct{ cc, mobile, msg string }{
		{"", "13800000001", "国家地区码不能为空"},
		{" ", "13800000001", "国家地区码不能为空"},
		{"86", "", "手机号码不能为空"},
		{"86", "123", "请输入正确的手机号码"},
		{"86", "1380000000a", "请输入正确的手机号码"},
		{"+86", "13800000001", "请输入正确的手机号码"},
		{"86", "23800000001", "请输入正确的手机号码"},
		{"1", "13800000001", "请输入正确的手机号码"},
	} {
		_, err := f.svc.RequestCode(ctx, c.cc, c.mobile)
		wantFailure(t, err, c.msg)
		_, err = f.svc.Login(ctx, c.cc, c.mobile, "1234")
		wantFailure(t, err, c.msg)
	}
	// Other countries' valid numbers are accepted.
	if _, err := f.svc.RequestCode(ctx, "1", "2015550123"); err != nil {
		t.Fatalf("US number: %v", err)
	}
}

func TestCaptchaFormat(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	for code, msg := range map[string]string{"": "验证码不能为空", " ": "验证码不能为空", "123": "验证码格式不正确",
		"1234567": "验证码格式不正确", "12a4": "验证码格式不正确"} {
		_, err := f.svc.Login(ctx, "86", "13900000000", code)
		wantFailure(t, err, msg)
	}
}

func TestWhitelistedNumber(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	msg, err := f.svc.RequestCode(ctx, "86", "13800000001")
	if err != nil || msg != MsgWhiteCode {
		t.Fatalf("white number: %q %v", msg, err)
	}
	// No interval applies and nothing is sent.
	if msg, err := f.svc.RequestCode(ctx, "86", "13800000001"); err != nil || msg != MsgWhiteCode {
		t.Fatalf("second request: %q %v", msg, err)
	}
	if len(f.sms.sent) != 0 {
		t.Fatal("an SMS was sent to a test number")
	}
	res, err := f.svc.Login(ctx, "86", "13800000001", WhiteCode)
	if err != nil || !res.Registered || res.Message() != MsgRegistered {
		t.Fatalf("first login: %+v %v", res, err)
	}
	// The whitelist is for mainland numbers only.
	_, err = f.svc.Login(ctx, "852", "13800000001", WhiteCode)
	wantFailure(t, err, "请输入正确的手机号码")
}

func TestCodeLifecycle(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	msg, err := f.svc.RequestCode(ctx, "86", "13900000001")
	if err != nil || msg != MsgCodeSent {
		t.Fatalf("request: %q %v", msg, err)
	}
	code := f.sms.code(t, "86", "13900000001")
	if !regexp.MustCompile(`^[1-9][0-9]{5}$`).MatchString(code) {
		t.Fatalf("code %q is not 6 digits from 100000 (spec §12 S11 [REC])", code)
	}
	res, err := f.svc.Login(ctx, "86", "13900000001", code)
	if err != nil || !res.Registered {
		t.Fatalf("login: %+v %v", res, err)
	}
	// A used code is gone.
	_, err = f.svc.Login(ctx, "86", "13900000001", code)
	wantFailure(t, err, msgExpiredCaptcha)

	// Codes expire after 300 s.
	f.advance(61 * time.Second)
	if _, err := f.svc.RequestCode(ctx, "86", "13900000001"); err != nil {
		t.Fatal(err)
	}
	code = f.sms.code(t, "86", "13900000001")
	f.advance(301 * time.Second)
	_, err = f.svc.Login(ctx, "86", "13900000001", code)
	wantFailure(t, err, msgExpiredCaptcha)
}

func TestFifthWrongTryKillsTheCode(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	if _, err := f.svc.RequestCode(ctx, "86", "13900000002"); err != nil {
		t.Fatal(err)
	}
	code := f.sms.code(t, "86", "13900000002")
	wrong := "0000"
	if code == wrong {
		wrong = "0001"
	}
	for i := 1; i <= 4; i++ {
		_, err := f.svc.Login(ctx, "86", "13900000002", wrong)
		wantFailure(t, err, msgWrongCaptcha)
	}
	_, err := f.svc.Login(ctx, "86", "13900000002", wrong)
	wantFailure(t, err, msgExpiredCaptcha)
	_, err = f.svc.Login(ctx, "86", "13900000002", code)
	wantFailure(t, err, msgExpiredCaptcha)
}

func TestSendLimits(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	mobile := "13900000003"
	if _, err := f.svc.RequestCode(ctx, "86", mobile); err != nil {
		t.Fatal(err)
	}
	_, err := f.svc.RequestCode(ctx, "86", mobile)
	wantFailure(t, err, msgTooSoon)
	// The refused request started a new 60 s interval.
	f.advance(59 * time.Second)
	_, err = f.svc.RequestCode(ctx, "86", mobile)
	wantFailure(t, err, msgTooSoon)
	for i := 2; i <= 5; i++ {
		f.advance(61 * time.Second)
		if _, err := f.svc.RequestCode(ctx, "86", mobile); err != nil {
			t.Fatalf("send %d: %v", i, err)
		}
	}
	f.advance(61 * time.Second)
	_, err = f.svc.RequestCode(ctx, "86", mobile)
	wantFailure(t, err, msgHourly)
	// An hour later five more fit, then the daily limit of 10 applies.
	f.advance(time.Hour)
	for i := 6; i <= 10; i++ {
		f.advance(61 * time.Second)
		if _, err := f.svc.RequestCode(ctx, "86", mobile); err != nil {
			t.Fatalf("send %d: %v", i, err)
		}
	}
	f.advance(2 * time.Hour)
	_, err = f.svc.RequestCode(ctx, "86", mobile)
	wantFailure(t, err, msgDaily)
	// A day after the first sends, the number may receive codes again.
	f.advance(22 * time.Hour)
	if _, err := f.svc.RequestCode(ctx, "86", mobile); err != nil {
		t.Fatalf("next day: %v", err)
	}
	// Limits are per number.
	if _, err := f.svc.RequestCode(ctx, "86", "13900000004"); err != nil {
		t.Fatalf("another number: %v", err)
	}
}

func TestLoginRotatesTheSession(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	first, err := f.svc.Login(ctx, "86", "13800000001", WhiteCode)
	if err != nil {
		t.Fatal(err)
	}
	c := first.Credentials
	if !regexp.MustCompile(`^[a-f0-9]{32}$`).MatchString(c.AccessToken+"") || len(c.AccessSecret) != 32 || len(c.UID) != 32 {
		t.Fatalf("credentials %+v", c)
	}
	if want := f.clock.UnixMilli() + SessionTTL.Milliseconds(); c.ExpireTime != want {
		t.Fatalf("expireTime %d, want %d", c.ExpireTime, want)
	}
	v, err := f.svc.Authenticate(ctx, c.UID, c.AccessToken)
	if err != nil || v.Status != viewer.StatusDefault || v.Secret != c.AccessSecret {
		t.Fatalf("authenticate: %+v %v", v, err)
	}
	second, err := f.svc.Login(ctx, "86", "13800000001", WhiteCode)
	if err != nil || second.Registered || second.Message() != MsgLoggedIn || second.Credentials.UID != c.UID {
		t.Fatalf("second login: %+v %v", second, err)
	}
	if _, err := f.svc.Authenticate(ctx, c.UID, c.AccessToken); !errors.Is(err, errs.Unauthenticated) {
		t.Fatalf("old token still works: %v", err)
	}
	if _, err := f.svc.Authenticate(ctx, c.UID, second.Credentials.AccessToken); err != nil {
		t.Fatalf("new token: %v", err)
	}
	if err := f.svc.Logout(ctx, c.UID); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Authenticate(ctx, c.UID, second.Credentials.AccessToken); !errors.Is(err, errs.Unauthenticated) {
		t.Fatalf("token works after logout: %v", err)
	}
}

func TestFrozenAccounts(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	res, err := f.svc.Login(ctx, "86", "13800000001", WhiteCode)
	if err != nil {
		t.Fatal(err)
	}
	for _, status := range []int{viewer.StatusLimited, viewer.StatusFrozen, viewer.StatusDeleted} {
		if err := f.svc.SetStatus(ctx, f.db, res.Credentials.UID, status); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.Authenticate(ctx, res.Credentials.UID, res.Credentials.AccessToken); !errors.Is(err, errs.Unauthenticated) {
			t.Fatalf("status %d authenticates: %v", status, err)
		}
		if _, err := f.svc.Login(ctx, "86", "13800000001", WhiteCode); !errors.Is(err, errs.AccountFrozen) {
			t.Fatalf("status %d logs in: %v", status, err)
		}
	}
}

func TestSessionExpiryAndSlidingRenewal(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	res, err := f.svc.Login(ctx, "86", "13800000001", WhiteCode)
	if err != nil {
		t.Fatal(err)
	}
	c := res.Credentials
	// Used every 20 days, the session never expires.
	for i := 0; i < 4; i++ {
		f.advance(20 * 24 * time.Hour)
		f.svc.Forget(c.UID)
		if _, err := f.svc.Authenticate(ctx, c.UID, c.AccessToken); err != nil {
			t.Fatalf("after %d×20 days: %v", i+1, err)
		}
	}
	// Left alone for 31 days, it does.
	f.advance(31 * 24 * time.Hour)
	f.svc.Forget(c.UID)
	if _, err := f.svc.Authenticate(ctx, c.UID, c.AccessToken); !errors.Is(err, errs.Unauthenticated) {
		t.Fatalf("expired session authenticates: %v", err)
	}
}

func TestAuthenticateHeader(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	res, _ := f.svc.Login(ctx, "86", "13800000001", WhiteCode)
	c := res.Credentials
	good := "Basic " + b64(c.UID+":"+c.AccessToken)
	if v, err := f.svc.AuthenticateHeader(ctx, good); err != nil || v.UID != c.UID {
		t.Fatalf("good header: %v", err)
	}
	for _, h := range []string{"", "Basic", "Basic ", "Basic !!", "Basic " + b64(c.UID), "Basic " + b64(c.UID+":"+c.AccessToken+":x"),
		"Basic " + b64(c.UID+":"+c.AccessSecret)} {
		if _, err := f.svc.AuthenticateHeader(ctx, h); !errors.Is(err, errs.Unauthenticated) {
			t.Errorf("header %q: %v", h, err)
		}
	}
}

func TestConcurrentFirstLoginsRegisterOnce(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	var wg sync.WaitGroup
	uids := make([]string, 4)
	for i := range uids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res, err := f.svc.Login(ctx, "86", "13800000001", WhiteCode)
			if err != nil {
				t.Errorf("login %d: %v", i, err)
				return
			}
			uids[i] = res.Credentials.UID
		}()
	}
	wg.Wait()
	for _, u := range uids[1:] {
		if u != uids[0] {
			t.Fatalf("one number became several accounts: %v", uids)
		}
	}
}

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

// TestPerAddressLimits: one client address asking codes for many numbers,
// or trying many wrong codes, is refused for the hour; other addresses and
// the whitelisted test numbers are not. Each refusal is reported once, by
// the name of its limit.
func TestPerAddressLimits(t *testing.T) {
	var mu sync.Mutex
	refused := map[string]int{}
	f := newFixtureWith(t, Config{CodesPerAddrHour: 3, WrongPerAddrHour: 2, Refused: func(limit string) {
		mu.Lock()
		refused[limit]++
		mu.Unlock()
	}})
	from := func(addr string) context.Context {
		return viewer.WithClient(context.Background(), viewer.Client{IP: addr})
	}
	a, b := from("192.0.2.1"), from("192.0.2.2")
	for i := range 3 {
		if _, err := f.svc.RequestCode(a, "86", fmt.Sprintf("1390000010%d", i)); err != nil {
			t.Fatalf("request %d: %v", i, err)
		}
	}
	_, err := f.svc.RequestCode(a, "86", "13900000109")
	wantFailure(t, err, msgAddrLimit)
	if _, err := f.svc.RequestCode(b, "86", "13900000109"); err != nil {
		t.Fatalf("another address: %v", err)
	}
	_, err = f.svc.RequestCode(b, "86", "13900000109")
	wantFailure(t, err, msgTooSoon)
	if msg, err := f.svc.RequestCode(a, "86", "13800000001"); err != nil || msg != MsgWhiteCode {
		t.Fatalf("test number: %q %v", msg, err)
	}

	var code string
	for range 4 { // every SMS sent (asynchronously)
		code = f.sms.code(t, "86", "13900000100")
	}
	wrong := "000000"
	for range 2 {
		_, err := f.svc.Login(a, "86", "13900000100", wrong)
		wantFailure(t, err, msgWrongCaptcha)
	}
	// The right code is refused too: the address is out of tries.
	_, err = f.svc.Login(a, "86", "13900000100", code)
	wantFailure(t, err, msgAddrWrong)
	mu.Lock()
	want := map[string]int{LimitCaptchaAddress: 1, LimitCaptchaMobileResend: 1, LimitCaptchaAddressWrong: 1}
	if fmt.Sprint(refused) != fmt.Sprint(want) {
		t.Errorf("refusals reported %v, want %v", refused, want)
	}
	mu.Unlock()
	if _, err := f.svc.Login(b, "86", "13900000100", code); err != nil {
		t.Fatalf("another address with the right code: %v", err)
	}
	f.advance(time.Hour) // a new window: codes are checked again (this one expired)
	_, err = f.svc.Login(a, "86", "13900000101", wrong)
	wantFailure(t, err, msgExpiredCaptcha)
}

// TestConcurrentRequestsShareOneSessionLoad pins that when a viewer's
// cache entry has expired, their concurrent requests read the session once
// (2 statements) instead of once each.
func TestConcurrentRequestsShareOneSessionLoad(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	res, err := f.svc.Login(ctx, "86", "13800000001", WhiteCode)
	if err != nil {
		t.Fatal(err)
	}
	c := res.Credentials
	if _, err := f.svc.Authenticate(ctx, c.UID, c.AccessToken); err != nil {
		t.Fatal(err)
	}
	f.advance(2 * time.Hour) // past the cache's TTL (an hour), well within the session's

	const n = 16
	var missed sync.WaitGroup
	missed.Add(n)
	f.svc.cache.onMiss = missed.Done
	// The load waits until every request has missed the cache, so without
	// sharing each of them would start its own.
	f.svc.cache.onLoad = missed.Wait
	before := f.store.Statements()
	var wg sync.WaitGroup
	errc := make(chan error, n)
	for range n {
		wg.Go(func() {
			v, err := f.svc.Authenticate(ctx, c.UID, c.AccessToken)
			if err == nil && v.UID != c.UID {
				err = fmt.Errorf("viewer %s", v.UID)
			}
			errc <- err
		})
	}
	wg.Wait()
	close(errc)
	for err := range errc {
		if err != nil {
			t.Fatal(err)
		}
	}
	if got := f.store.Statements() - before; got != 2 {
		t.Fatalf("%d concurrent requests ran %d statements, want 2 (one session load)", n, got)
	}
	// The shared load filled the cache.
	f.svc.cache.onMiss, f.svc.cache.onLoad = nil, nil
	before = f.store.Statements()
	if _, err := f.svc.Authenticate(ctx, c.UID, c.AccessToken); err != nil {
		t.Fatal(err)
	}
	if got := f.store.Statements() - before; got != 0 {
		t.Fatalf("cached session: %d statements", got)
	}
}

// TestSessionWaitEndsAtTheRequestsDeadline pins that a request waiting for
// a shared session load gives up at its own deadline with its context's
// error, while the load goes on for the requests still waiting.
func TestSessionWaitEndsAtTheRequestsDeadline(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	res, err := f.svc.Login(ctx, "86", "13800000001", WhiteCode)
	if err != nil {
		t.Fatal(err)
	}
	c := res.Credentials
	f.advance(2 * time.Hour) // past the cache's TTL
	release := make(chan struct{})
	started := make(chan struct{})
	f.svc.cache.onLoad = func() { close(started); <-release } // a load stuck behind a lock
	t.Cleanup(func() { f.svc.cache.onLoad = nil })

	patient := make(chan error, 1)
	go func() {
		_, err := f.svc.Authenticate(ctx, c.UID, c.AccessToken)
		patient <- err
	}()
	<-started
	short, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
	defer cancel()
	impatient := make(chan error, 1)
	go func() {
		_, err := f.svc.Authenticate(short, c.UID, c.AccessToken)
		impatient <- err
	}()
	select {
	case err := <-impatient:
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("a request past its deadline: %v, want context.DeadlineExceeded", err)
		}
	case <-time.After(5 * time.Second):
		close(release)
		t.Fatal("a request waited for the load past its deadline")
	}
	select {
	case err := <-patient:
		t.Fatalf("the load ended with the impatient request: %v", err)
	default:
	}
	close(release)
	if err := <-patient; err != nil {
		t.Fatalf("the request that waited: %v", err)
	}
}
