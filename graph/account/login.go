package account

import (
	"context"
	"strings"
	"time"

	"chaoqer/ent"
	entaccount "chaoqer/ent/account"
	"chaoqer/ent/captcha"
	"chaoqer/ent/entdb"
	"chaoqer/ent/predicate"
	"chaoqer/ent/session"
	"chaoqer/ent/smslog"
	"chaoqer/graph/errs"
	"chaoqer/graph/ids"
	"chaoqer/graph/viewer"
)

// Credentials is what a successful login hands to the client.
type Credentials struct {
	UID          string
	AccessToken  string
	AccessSecret string
	ExpireTime   int64
}

// LoginResult is a login's outcome: the credentials and whether the number
// was registered just now.
type LoginResult struct {
	Credentials Credentials
	Registered  bool
}

// Message is the legacy success message of the login.
func (r LoginResult) Message() string {
	if r.Registered {
		return MsgRegistered
	}
	return MsgLoggedIn
}

func smsLogSince(md5 string, since int64) predicate.SmsLog {
	return smslog.And(smslog.MobileMd5(md5), smslog.CreateTimeGTE(since))
}

// Login checks the code and logs the number in, registering it on first use
// (spec §3.2). Every login replaces the account's previous session.
func (s *Service) Login(ctx context.Context, countryCode, mobile, code string) (LoginResult, error) {
	if err := validatePhone(countryCode, mobile); err != nil {
		return LoginResult{}, err
	}
	if strings.TrimSpace(code) == "" {
		return LoginResult{}, errs.Failure(msgNoCaptcha)
	}
	if !captchaForm.MatchString(code) {
		return LoginResult{}, errs.Failure(msgBadCaptcha)
	}
	if err := s.checkCodeFrom(ctx, countryCode, mobile, code); err != nil {
		return LoginResult{}, err
	}
	md5 := ids.MD5(phoneKey(countryCode, mobile))
	for attempt := 0; ; attempt++ {
		acc, err := s.db.Account.Query().Where(entaccount.MobileMd5(md5)).Only(ctx)
		switch {
		case ent.IsNotFound(err):
			res, err := s.register(ctx, countryCode, mobile, md5)
			if ent.IsConstraintError(err) && attempt == 0 {
				continue // registered concurrently by another request: log in instead
			}
			return res, err
		case err != nil:
			return LoginResult{}, err
		case acc.Status != viewer.StatusDefault && acc.Status != viewer.StatusNormal:
			return LoginResult{}, errs.AccountFrozen
		}
		creds, err := s.newSession(ctx, s.db, acc.ID)
		if err != nil {
			return LoginResult{}, err
		}
		return LoginResult{Credentials: creds}, nil
	}
}

// checkCodeFrom is checkCode within the wrong-code limit of the caller's
// address: once it is reached, no code is checked for the rest of the hour.
func (s *Service) checkCodeFrom(ctx context.Context, countryCode, mobile, code string) error {
	addr := viewer.ClientFrom(ctx).IP
	if addr == "" || s.perAddrWrong == 0 || s.isWhite(countryCode, mobile) {
		return s.checkCode(ctx, countryCode, mobile, code)
	}
	key := "captcha:wrong:" + addr
	n, err := s.kv.Count(ctx, key)
	if err != nil {
		return err
	}
	if n >= s.perAddrWrong {
		s.refused(LimitCaptchaAddressWrong)
		return errs.Failure(msgAddrWrong)
	}
	err = s.checkCode(ctx, countryCode, mobile, code)
	if e, ok := errs.As(err); ok && (e.Message == msgWrongCaptcha || e.Message == msgExpiredCaptcha) {
		if _, ierr := s.kv.Incr(ctx, key, time.Hour); ierr != nil {
			return ierr
		}
	}
	return err
}

// checkCode verifies a code; the fifth wrong try kills it.
func (s *Service) checkCode(ctx context.Context, countryCode, mobile, code string) error {
	key := phoneKey(countryCode, mobile)
	if s.isWhite(countryCode, mobile) && code == WhiteCode {
		_, err := s.db.Captcha.Delete().Where(captcha.ID(key)).Exec(ctx)
		return err
	}
	nowMs := ids.Ms(s.now())
	// Consume the code only if it matches and is still valid: a single
	// statement, so two concurrent logins cannot both use it.
	n, err := s.db.Captcha.Delete().
		Where(captcha.ID(key), captcha.Code(code), captcha.ExpireTimeGT(nowMs)).
		Exec(ctx)
	if err != nil {
		return err
	}
	if n == 1 {
		return nil
	}
	// Wrong code: count the try, or kill the code on the fifth.
	killed, err := s.db.Captcha.Delete().
		Where(captcha.ID(key), captcha.Or(captcha.WrongTriesGTE(MaxWrongTries-1), captcha.ExpireTimeLTE(nowMs))).
		Exec(ctx)
	if err != nil {
		return err
	}
	if killed > 0 {
		return errs.Failure(msgExpiredCaptcha)
	}
	counted, err := s.db.Captcha.Update().Where(captcha.ID(key)).AddWrongTries(1).Save(ctx)
	if err != nil {
		return err
	}
	if counted == 0 {
		return errs.Failure(msgExpiredCaptcha)
	}
	return errs.Failure(msgWrongCaptcha)
}

// register creates the account, its empty profile and its first session in
// one transaction.
func (s *Service) register(ctx context.Context, countryCode, mobile, md5 string) (LoginResult, error) {
	uid := ids.New()
	nowMs := ids.Ms(s.now())
	var creds Credentials
	err := entdb.WithTx(ctx, s.db, func(tx *ent.Tx) error {
		if err := tx.Account.Create().SetID(uid).SetCountryCode(countryCode).SetMobile(mobile).
			SetMobileMd5(md5).SetStatus(viewer.StatusDefault).
			SetCreateTime(nowMs).SetUpdateTime(nowMs).SetActiveTime(nowMs).Exec(ctx); err != nil {
			return err
		}
		if err := tx.Profile.Create().SetID(uid).SetCreateTime(nowMs).SetUpdateTime(nowMs).Exec(ctx); err != nil {
			return err
		}
		var err error
		creds, err = s.newSession(ctx, tx.Client(), uid)
		return err
	})
	if err != nil {
		return LoginResult{}, err
	}
	return LoginResult{Credentials: creds, Registered: true}, nil
}

// newSession rotates the token and secret of uid: any other session of the
// account stops working.
func (s *Service) newSession(ctx context.Context, db *ent.Client, uid string) (Credentials, error) {
	token, err := randomHex()
	if err != nil {
		return Credentials{}, err
	}
	secret, err := randomHex()
	if err != nil {
		return Credentials{}, err
	}
	nowMs := ids.Ms(s.now())
	expire := nowMs + SessionTTL.Milliseconds()
	err = db.Session.Create().SetID(uid).SetTokenHash(hashToken(token)).SetSecret(secret).
		SetExpireTime(expire).SetLoginTime(nowMs).SetRenewTime(nowMs).
		SetCreateTime(nowMs).SetUpdateTime(nowMs).
		OnConflictColumns(session.FieldID).
		Update(func(u *ent.SessionUpsert) {
			u.UpdateTokenHash().UpdateSecret().UpdateExpireTime().UpdateLoginTime().
				UpdateRenewTime().UpdateUpdateTime()
		}).Exec(ctx)
	if err != nil {
		return Credentials{}, err
	}
	s.cache.drop(uid)
	return Credentials{UID: uid, AccessToken: token, AccessSecret: secret, ExpireTime: expire}, nil
}

// Logout ends the caller's session and stops pushes to their devices.
func (s *Service) Logout(ctx context.Context, uid string) error {
	if _, err := s.db.Session.Delete().Where(session.ID(uid)).Exec(ctx); err != nil {
		return err
	}
	s.cache.drop(uid)
	if err := s.unbindDevices(ctx, uid); err != nil {
		return err
	}
	return nil
}
