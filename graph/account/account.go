// Package account owns phone-number accounts: SMS login codes with their
// limits, login or registration, the single active session of an account
// (sliding 30-day expiry) and logout.
package account

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"log/slog"
	"math/big"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/nyaruka/phonenumbers"

	"chaoqer/ent"
	"chaoqer/ent/entdb"
	"chaoqer/ent/smslog"
	"chaoqer/graph/errs"
	"chaoqer/graph/ids"
	"chaoqer/graph/kvstore"
	"chaoqer/graph/push"
	"chaoqer/graph/sms"
	"chaoqer/graph/viewer"
)

// Limits and lifetimes of codes and sessions (spec §3).
const (
	CodeTTL        = 300 * time.Second
	ResendInterval = 60 * time.Second
	HourlyLimit    = 5
	DailyLimit     = 10
	MaxWrongTries  = 5
	SessionTTL     = 30 * 24 * time.Hour
	renewEvery     = 24 * time.Hour
	activeEvery    = time.Minute
	// WhiteCode is the fixed code of whitelisted test numbers.
	WhiteCode = "8888"
)

// Messages of the account endpoints.
const (
	MsgCodeSent       = "验证码已发送，请注意查收"
	MsgWhiteCode      = "请输入验证码8888直接登录"
	MsgRegistered     = "注册成功"
	MsgLoggedIn       = "登录成功"
	MsgLoggedOut      = "退出成功"
	msgNoCountryCode  = "国家地区码不能为空"
	msgNoMobile       = "手机号码不能为空"
	msgBadMobile      = "请输入正确的手机号码"
	msgNoCaptcha      = "验证码不能为空"
	msgBadCaptcha     = "验证码格式不正确"
	msgWrongCaptcha   = "验证码不正确"
	msgExpiredCaptcha = "验证码已过期，请重新获取验证码"
	msgTooSoon        = "验证码发送太频繁，请在60秒后重试"
	msgHourly         = "验证码发送太频繁，每小时最多发送5条短信"
	// msgAddrLimit and msgAddrWrong refuse a client address (spec §12 S11
	// [REC] per-IP limits; the legacy service had none, so no legacy text).
	msgAddrLimit = "验证码请求太频繁，请稍后重试"
	msgAddrWrong = "验证码错误次数过多，请稍后重试"
	msgDaily     = "验证码发送太频繁，每天最多发送10条短信"
)

var (
	digits      = regexp.MustCompile(`^[0-9]+$`)
	captchaForm = regexp.MustCompile(`^[0-9]{4,6}$`)
)

// Config configures the service.
type Config struct {
	// WhiteMobiles are mainland (86) numbers that log in with 8888, no SMS.
	WhiteMobiles []string
	// SessionCacheTTL bounds how long an instance trusts a cached session
	// (a login or logout on another instance is seen after at most this).
	SessionCacheTTL time.Duration
	// CheckTimeout bounds the database work of one session check (reading
	// the session, renewing it), whatever the caller's context: the
	// operation timeout, so that a check stuck behind a lock answers
	// "request canceled" in time on every entry point (the edge, GraphQL,
	// both WebSockets). 0 = the caller's context only.
	CheckTimeout time.Duration
	// CodesPerAddrHour bounds the SMS codes one client address may ask for
	// in an hour, whatever the numbers (SMS-pumping fraud); WrongPerAddrHour
	// the wrong codes it may try (guessing). Counted in the key-value store,
	// so the limits hold across instances. 0 = no limit.
	CodesPerAddrHour, WrongPerAddrHour int
	// Refused, when set, is told of every login-code request or check a
	// limit refuses, by the limit's name (one of the Limit* constants).
	Refused func(limit string)
}

// Names of the login-code limits, as Config.Refused reports them (the
// rate-limit refusal metric's "limit" label).
const (
	LimitCaptchaAddress      = "captcha_address"       // codes per client address and hour
	LimitCaptchaAddressWrong = "captcha_address_wrong" // wrong codes per client address and hour
	LimitCaptchaMobileResend = "captcha_mobile_resend" // one code per number per ResendInterval
	LimitCaptchaMobileHourly = "captcha_mobile_hourly" // HourlyLimit codes per number and hour
	LimitCaptchaMobileDaily  = "captcha_mobile_daily"  // DailyLimit codes per number and day
)

// Service implements the account rules.
type Service struct {
	db                         *ent.Client
	kv                         *kvstore.Store
	sms                        sms.Sender
	push                       *push.Queue
	log                        *slog.Logger
	white                      map[string]bool
	now                        func() time.Time
	cache                      *sessionCache
	active                     sync.Map // uid -> last active_time write (ms)
	perAddrCodes, perAddrWrong int
	refused                    func(limit string)
	checkTimeout               time.Duration
}

// New returns the account service.
func New(db *ent.Client, kv *kvstore.Store, sender sms.Sender, pq *push.Queue, log *slog.Logger, cfg Config) *Service {
	white := make(map[string]bool, len(cfg.WhiteMobiles))
	for _, m := range cfg.WhiteMobiles {
		if m = strings.TrimSpace(m); m != "" {
			white[m] = true
		}
	}
	ttl := cfg.SessionCacheTTL
	if ttl == 0 {
		ttl = 2 * time.Second
	}
	refused := cfg.Refused
	if refused == nil {
		refused = func(string) {}
	}
	return &Service{db: db, kv: kv, sms: sender, push: pq, log: log, white: white, now: time.Now,
		cache: newSessionCache(ttl, 100_000), perAddrCodes: cfg.CodesPerAddrHour, perAddrWrong: cfg.WrongPerAddrHour,
		refused: refused, checkTimeout: cfg.CheckTimeout}
}

// SetClock replaces the time source (tests).
func (s *Service) SetClock(now func() time.Time) { s.now = now; s.cache.now = now }

func (s *Service) isWhite(countryCode, mobile string) bool {
	return countryCode == "86" && s.white[mobile]
}

// validatePhone checks a phone number in the legacy order and messages.
func validatePhone(countryCode, mobile string) error {
	if strings.TrimSpace(countryCode) == "" {
		return errs.Failure(msgNoCountryCode)
	}
	if strings.TrimSpace(mobile) == "" {
		return errs.Failure(msgNoMobile)
	}
	if !digits.MatchString(countryCode) || !digits.MatchString(mobile) || len(countryCode) > 4 || len(mobile) > 17 {
		return errs.Failure(msgBadMobile)
	}
	num, err := phonenumbers.Parse("+"+countryCode+mobile, "")
	if err != nil || !phonenumbers.IsValidNumber(num) {
		return errs.Failure(msgBadMobile)
	}
	return nil
}

func phoneKey(countryCode, mobile string) string { return countryCode + ":" + mobile }

// RequestCode sends a login code to the number (spec §3.1) and returns the
// success message.
func (s *Service) RequestCode(ctx context.Context, countryCode, mobile string) (string, error) {
	if err := validatePhone(countryCode, mobile); err != nil {
		return "", err
	}
	if s.isWhite(countryCode, mobile) {
		return MsgWhiteCode, nil
	}
	if addr := viewer.ClientFrom(ctx).IP; addr != "" && s.perAddrCodes > 0 {
		n, err := s.kv.Incr(ctx, "captcha:addr:"+addr, time.Hour)
		if err != nil {
			return "", err
		}
		if n > s.perAddrCodes {
			s.refused(LimitCaptchaAddress)
			return "", errs.Failure(msgAddrLimit)
		}
	}
	key := phoneKey(countryCode, mobile)
	// The interval starts before the other limits are checked, as in the
	// original: a rate-limited request also waits another 60 s.
	took, err := s.kv.Acquire(ctx, "captcha:interval:"+key, ResendInterval)
	if err != nil {
		return "", err
	}
	if !took {
		s.refused(LimitCaptchaMobileResend)
		return "", errs.Failure(msgTooSoon)
	}
	md5 := ids.MD5(key)
	now := s.now()
	counts, err := s.sentSince(ctx, md5, now.Add(-time.Hour), now.Add(-24*time.Hour))
	if err != nil {
		return "", err
	}
	if counts[0] >= HourlyLimit {
		s.refused(LimitCaptchaMobileHourly)
		return "", errs.Failure(msgHourly)
	}
	if counts[1] >= DailyLimit {
		s.refused(LimitCaptchaMobileDaily)
		return "", errs.Failure(msgDaily)
	}
	code, err := newCode()
	if err != nil {
		return "", err
	}
	nowMs := ids.Ms(now)
	err = entdb.WithTx(ctx, s.db, func(tx *ent.Tx) error {
		if err := tx.Captcha.Create().SetID(key).SetCode(code).SetWrongTries(0).
			SetExpireTime(nowMs + CodeTTL.Milliseconds()).
			OnConflictColumns("id").UpdateNewValues().Exec(ctx); err != nil {
			return err
		}
		return tx.SmsLog.Create().SetMobileMd5(md5).SetCreateTime(nowMs).Exec(ctx)
	})
	if err != nil {
		return "", err
	}
	go func() { //nolint:gosec // G118: sent after the answer, so detached from the request's cancellation (not its values)
		// Detached from the request's end, but keeping its values (request
		// id for the logs, trace for the provider call).
		sendCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		if err := s.sms.SendCode(sendCtx, countryCode, mobile, code); err != nil {
			s.log.WarnContext(sendCtx, "sending SMS code failed", "to", sms.Mask(countryCode, mobile), "err", err)
		}
	}()
	return MsgCodeSent, nil
}

// sentSince counts the SMS sent to md5 since each of the given times.
func (s *Service) sentSince(ctx context.Context, md5 string, hour, day time.Time) ([2]int, error) {
	var out [2]int
	rows, err := s.db.SmsLog.Query().
		Where(smsLogSince(md5, ids.Ms(day))).
		Select("create_time").
		Ints(ctx)
	if err != nil {
		return out, err
	}
	h := ids.Ms(hour)
	for _, t := range rows {
		out[1]++
		if int64(t) >= h {
			out[0]++
		}
	}
	return out, nil
}

// newCode draws a 4-digit code uniformly from 1000–9998 like the original.
func newCode() (string, error) {
	n, err := rand.Int(rand.Reader, big.NewInt(1_000_000-100_000))
	if err != nil {
		return "", err
	}
	return big.NewInt(n.Int64() + 100_000).String(), nil
}

// randomHex returns 32 lowercase hex characters from 16 secure random bytes.
func randomHex() (string, error) {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return hex.EncodeToString(b), nil
}

func hashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

func tokensEqual(hashA, hashB string) bool {
	return subtle.ConstantTimeCompare([]byte(hashA), []byte(hashB)) == 1
}

// SweepSMSLog deletes SMS log rows older than the daily window.
func (s *Service) SweepSMSLog(ctx context.Context) error {
	_, err := s.db.SmsLog.Delete().
		Where(smslog.CreateTimeLT(ids.Ms(s.now().Add(-24 * time.Hour)))).
		Exec(ctx)
	return err
}
