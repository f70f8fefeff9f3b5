// Package storage hands out image upload credentials (spec §6, L1). Clients
// PUT a JPEG straight to object storage with a presigned URL and later use the
// object's public URL (e.g. as their avatar); the server never handles the
// bytes itself, except with the local store that stands in for object storage
// when none is configured.
//
// Two Store implementations exist: OSS (Aliyun Object Storage Service,
// presigned with temporary STS credentials) and Local (files under a
// directory, PUT and GET through this binary with HMAC-signed, expiring URLs).
package storage

import (
	"context"
	"log/slog"
	"strings"
	"time"

	"chaoqer/graph/errs"
	"chaoqer/graph/ids"
)

// Store is object storage that accepts uploads through presigned URLs.
type Store interface {
	// PresignPut returns a URL that accepts an HTTP PUT of the object key,
	// sent with exactly the given Content-Type, until expires.
	PresignPut(ctx context.Context, key, contentType string, expires time.Time) (string, error)
	// URL is where the object key is served once it has been uploaded.
	URL(key string) string
}

// Upload rules (spec §6).
const (
	// UploadTTL is how long an upload address stays valid.
	UploadTTL = 10 * time.Minute
	// ContentTypeJPEG is the Content-Type the client must send with the PUT.
	ContentTypeJPEG = "image/jpeg"
)

// Messages of the upload endpoint.
const (
	MsgNoImageDir  = "imageDir不能为空"
	MsgBadImageDir = "imageDir类型不存在"
	MsgFailed      = "获取图片上传地址失败"
)

// imageDirs are the folders an image may go to (exact lower case).
var imageDirs = map[string]bool{"avatar": true, "cover": true, "room": true, "feedback": true}

// ImageUpload is where to PUT one image and where it will be served.
type ImageUpload struct {
	ImageID       string
	UploadAddress string
	ImageURL      string
	// ExpireTime is when UploadAddress stops accepting the upload (epoch ms).
	ExpireTime int64
}

// Images issues image upload credentials.
type Images struct {
	store Store
	log   *slog.Logger
	now   func() time.Time
}

// NewImages returns the upload service over store.
func NewImages(store Store, log *slog.Logger) *Images {
	return &Images{store: store, log: log, now: time.Now}
}

// SetClock replaces the time source (tests).
func (s *Images) SetClock(now func() time.Time) { s.now = now }

// ImageKey is the object key of an image: image/{uid}/{imageDir}/{imageId}.jpg.
func ImageKey(uid, imageDir, imageID string) string {
	return "image/" + uid + "/" + imageDir + "/" + imageID + ".jpg"
}

// NewUpload validates imageDir and returns a fresh upload address for an
// image of uid. Any provider failure is the legacy failure message.
func (s *Images) NewUpload(ctx context.Context, uid string, imageDir *string) (*ImageUpload, error) {
	if imageDir == nil || strings.TrimSpace(*imageDir) == "" {
		return nil, errs.Failure(MsgNoImageDir)
	}
	if !imageDirs[*imageDir] {
		return nil, errs.Failure(MsgBadImageDir)
	}
	id := ids.New()
	key := ImageKey(uid, *imageDir, id)
	expires := s.now().Add(UploadTTL)
	addr, err := s.store.PresignPut(ctx, key, ContentTypeJPEG, expires)
	if err != nil {
		s.log.ErrorContext(ctx, "presigning an image upload", "err", err)
		return nil, errs.Failure(MsgFailed)
	}
	return &ImageUpload{ImageID: id, UploadAddress: addr, ImageURL: s.store.URL(key), ExpireTime: ids.Ms(expires)}, nil
}
