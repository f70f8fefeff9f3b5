package storage

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/aliyun/alibabacloud-oss-go-sdk-v2/oss"
	osscred "github.com/aliyun/alibabacloud-oss-go-sdk-v2/oss/credentials"
	"github.com/aliyun/credentials-go/credentials/providers"
)

// STSCacheTTL is how long assumed-role credentials are reused (they are
// requested for STSDuration, so a cached set always has a minute left).
const (
	STSCacheTTL = 29 * time.Minute
	STSDuration = 30 * time.Minute
)

// OSSConfig configures Aliyun OSS.
type OSSConfig struct {
	Bucket string
	// Region, e.g. cn-shenzhen; Endpoint optionally overrides the
	// region's public endpoint (e.g. oss-cn-shenzhen.aliyuncs.com).
	Region, Endpoint string
	// Host is the public base of image URLs (usually the CDN, e.g.
	// https://cdn.chaoqer.com); default https://{bucket}.{endpoint}.
	Host string
	// AccessKeyID and AccessKeySecret of the RAM user. With RoleARN they
	// only assume the role and URLs are signed with the role's temporary
	// credentials; without it they sign directly.
	AccessKeyID, AccessKeySecret string
	RoleARN                      string
	// RoleSessionName names the STS session (the environment name).
	RoleSessionName string
	// STSRegion selects the STS endpoint (default Region).
	STSRegion string
	// SignatureV1 selects the legacy OSS V1 URL form
	// (?Expires=&OSSAccessKeyId=&Signature=&security-token=) instead of V4.
	SignatureV1 bool
}

// OSS presigns uploads to an Aliyun OSS bucket.
type OSS struct {
	client *oss.Client
	bucket string
	host   string
}

// NewOSS returns the OSS store; it contacts nothing until the first URL.
func NewOSS(cfg OSSConfig) (*OSS, error) {
	if cfg.Bucket == "" || cfg.Region == "" {
		return nil, errors.New("oss: bucket and region are required")
	}
	if cfg.AccessKeyID == "" || cfg.AccessKeySecret == "" {
		return nil, errors.New("oss: access key id and secret are required")
	}
	creds := osscred.NewStaticCredentialsProvider(cfg.AccessKeyID, cfg.AccessKeySecret)
	if cfg.RoleARN != "" {
		stsRegion := cfg.STSRegion
		if stsRegion == "" {
			stsRegion = cfg.Region
		}
		p, err := providers.NewRAMRoleARNCredentialsProviderBuilder().
			WithAccessKeyId(cfg.AccessKeyID).
			WithAccessKeySecret(cfg.AccessKeySecret).
			WithRoleArn(cfg.RoleARN).
			WithRoleSessionName(cfg.RoleSessionName).
			WithDurationSeconds(int(STSDuration / time.Second)).
			WithStsRegionId(stsRegion).
			Build()
		if err != nil {
			return nil, fmt.Errorf("oss: STS role: %w", err)
		}
		creds = NewSTSCache(p, STSCacheTTL)
	}
	return newOSS(cfg, creds), nil
}

func newOSS(cfg OSSConfig, creds osscred.CredentialsProvider) *OSS {
	c := oss.LoadDefaultConfig().WithRegion(cfg.Region).WithCredentialsProvider(creds)
	if cfg.Endpoint != "" {
		c = c.WithEndpoint(cfg.Endpoint)
	}
	if cfg.SignatureV1 {
		c = c.WithSignatureVersion(oss.SignatureVersionV1)
	}
	host := strings.TrimRight(cfg.Host, "/")
	if host == "" {
		ep := cfg.Endpoint
		if ep == "" {
			ep = "oss-" + cfg.Region + ".aliyuncs.com"
		}
		ep = strings.TrimPrefix(strings.TrimPrefix(ep, "https://"), "http://")
		host = "https://" + cfg.Bucket + "." + ep
	}
	return &OSS{client: oss.NewClient(c), bucket: cfg.Bucket, host: host}
}

// PresignPut signs a PUT of key with contentType (part of the signature:
// the client must send exactly that header), offline.
func (o *OSS) PresignPut(ctx context.Context, key, contentType string, expires time.Time) (string, error) {
	res, err := o.client.Presign(ctx, &oss.PutObjectRequest{
		Bucket:      oss.Ptr(o.bucket),
		Key:         oss.Ptr(key),
		ContentType: oss.Ptr(contentType),
	}, oss.PresignExpiration(expires))
	if err != nil {
		return "", err
	}
	return res.URL, nil
}

// URL returns {host}/{key}.
func (o *OSS) URL(key string) string { return o.host + "/" + key }

// STSCache shares one set of assumed-role credentials for ttl. The
// credentials-go provider is not safe for concurrent use; this serialises
// it and keeps it off the request path most of the time. It is an
// accelerator only: every instance assumes the role on its own.
type STSCache struct {
	mu      sync.Mutex
	src     providers.CredentialsProvider
	ttl     time.Duration
	cred    osscred.Credentials
	fetched time.Time
	now     func() time.Time
}

// NewSTSCache caches src's credentials for ttl.
func NewSTSCache(src providers.CredentialsProvider, ttl time.Duration) *STSCache {
	return &STSCache{src: src, ttl: ttl, now: time.Now}
}

// SetClock replaces the time source (tests).
func (c *STSCache) SetClock(now func() time.Time) { c.now = now }

// GetCredentials returns the cached credentials, fetching new ones when
// they are older than the ttl.
func (c *STSCache) GetCredentials(_ context.Context) (osscred.Credentials, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.now()
	if c.cred.HasKeys() && now.Sub(c.fetched) < c.ttl {
		return c.cred, nil
	}
	got, err := c.src.GetCredentials()
	if err != nil {
		return osscred.Credentials{}, err
	}
	c.cred = osscred.Credentials{AccessKeyID: got.AccessKeyId, AccessKeySecret: got.AccessKeySecret, SecurityToken: got.SecurityToken}
	c.fetched = now
	return c.cred, nil
}
