// Package appinfo holds the app-level endpoints of spec §2.8 and §8: the
// version upgrade check (and publishing versions, an operator task), user
// feedback and reports about users or rooms.
package appinfo

import (
	"context"
	"fmt"
	"strings"
	"time"

	"chaoqer/ent"
	entversion "chaoqer/ent/appversion"
	"chaoqer/graph/errs"
	"chaoqer/graph/ids"
	"chaoqer/graph/text"
	"chaoqer/graph/viewer"
)

// Messages of the version endpoints.
const (
	MsgUpToDate         = "当前已经是最新版本"
	msgBadClientType    = "客户端类型不存在"
	msgBadVersionCode   = "版本号不正确"
	msgNoVersionName    = "版本名称不能为空"
	msgNoDownloadURL    = "下载地址不能为空"
	msgVersionNotFound  = "版本不存在"
	upgradeWindow       = 10 // newest versions read by the check
	forcedByVersionGap  = 5  // this many listed versions force the upgrade
	maxVersionDescUnits = 2000
)

// Service implements versions, feedback and reports.
type Service struct {
	db  *ent.Client
	now func() time.Time
}

// New returns the service.
func New(db *ent.Client) *Service { return &Service{db: db, now: time.Now} }

// SetClock replaces the time source (tests).
func (s *Service) SetClock(now func() time.Time) { s.now = now }

// Version is a published client release.
type Version struct {
	VersionID     string
	ClientType    int
	VersionName   string
	VersionCode   int
	VersionDesc   string
	ForcedUpgrade bool
	DownloadURL   string
	CreateTime    int64
}

func versionOf(r *ent.AppVersion) *Version {
	return &Version{VersionID: r.ID, ClientType: r.ClientType, VersionName: r.VersionName, VersionCode: r.VersionCode,
		VersionDesc: r.VersionDesc, ForcedUpgrade: r.ForcedUpgrade, DownloadURL: r.DownloadURL, CreateTime: r.CreateTime}
}

// VersionID is the id of a release: MD5("{clientType}:{versionCode}").
func VersionID(clientType, versionCode int) string {
	return ids.MD5(fmt.Sprintf("%d:%d", clientType, versionCode))
}

// Upgrade returns the release a client of clientType at versionCode should
// upgrade to (spec V1), or the failure MsgUpToDate. The newest release is
// reported as forced when it is, or when the client is 5 or more releases
// behind (counting its own, if published), or when any release from its own
// on is forced. It is read fresh every time (one indexed query), so a
// published version shows at once.
func (s *Service) Upgrade(ctx context.Context, clientType, versionCode int) (*Version, error) {
	if clientType != viewer.ClientIOS && clientType != viewer.ClientAndroid {
		return nil, errs.Failure(MsgUpToDate)
	}
	rows, err := s.db.AppVersion.Query().
		Where(entversion.ClientType(clientType), entversion.VersionCodeGTE(versionCode)).
		Order(ent.Desc(entversion.FieldVersionCode)).
		Limit(upgradeWindow).
		All(ctx)
	if err != nil {
		return nil, err
	}
	if len(rows) == 0 || rows[0].VersionCode <= versionCode {
		return nil, errs.Failure(MsgUpToDate)
	}
	latest := versionOf(rows[0])
	if !latest.ForcedUpgrade {
		latest.ForcedUpgrade = len(rows) >= forcedByVersionGap
		for _, r := range rows {
			latest.ForcedUpgrade = latest.ForcedUpgrade || r.ForcedUpgrade
		}
	}
	return latest, nil
}

// VersionInput publishes or replaces the release (ClientType, VersionCode).
type VersionInput struct {
	ClientType    int
	VersionCode   int
	VersionName   string
	VersionDesc   string
	ForcedUpgrade bool
	DownloadURL   string
}

// PublishVersion stores a release; publishing the same client type and
// version code again replaces its name, description, flag and URL.
func (s *Service) PublishVersion(ctx context.Context, in VersionInput) (*Version, error) {
	switch {
	case in.ClientType != viewer.ClientIOS && in.ClientType != viewer.ClientAndroid:
		return nil, errs.Failure(msgBadClientType)
	case in.VersionCode <= 0:
		return nil, errs.Failure(msgBadVersionCode)
	case strings.TrimSpace(in.VersionName) == "":
		return nil, errs.Failure(msgNoVersionName)
	case strings.TrimSpace(in.DownloadURL) == "":
		return nil, errs.Failure(msgNoDownloadURL)
	}
	if text.Len(in.VersionDesc) > maxVersionDescUnits {
		return nil, errs.Failure(fmt.Sprintf("版本说明不能超过%d个字", maxVersionDescUnits))
	}
	id := VersionID(in.ClientType, in.VersionCode)
	err := s.db.AppVersion.Create().
		SetID(id).SetClientType(in.ClientType).SetVersionCode(in.VersionCode).
		SetVersionName(strings.TrimSpace(in.VersionName)).SetVersionDesc(in.VersionDesc).
		SetForcedUpgrade(in.ForcedUpgrade).SetDownloadURL(strings.TrimSpace(in.DownloadURL)).
		SetCreateTime(ids.Ms(s.now())).
		OnConflictColumns(entversion.FieldID).
		Update(func(u *ent.AppVersionUpsert) {
			u.UpdateVersionName().UpdateVersionDesc().UpdateForcedUpgrade().UpdateDownloadURL()
		}).
		Exec(ctx)
	if err != nil {
		return nil, err
	}
	row, err := s.db.AppVersion.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	return versionOf(row), nil
}

// DeleteVersion withdraws a release.
func (s *Service) DeleteVersion(ctx context.Context, versionID string) error {
	n, err := s.db.AppVersion.Delete().Where(entversion.ID(versionID)).Exec(ctx)
	if err != nil {
		return err
	}
	if n == 0 {
		return errs.Failure(msgVersionNotFound)
	}
	return nil
}

func intOr0(p *int) int {
	if p == nil {
		return 0
	}
	return *p
}
