package edge

import (
	"math"
	"net/http"
	"net/netip"
	"strconv"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"chaoqer/graph/errs"
)

// buckets are token buckets by key. Buckets idle long enough to be full
// again are dropped, so memory follows the active clients.
type buckets struct {
	r       Rate
	mu      sync.Mutex
	m       map[string]*bucket
	swept   time.Time
	refill  time.Duration // an idle bucket is full after this
	maxKeys int
}

type bucket struct {
	lim  *rate.Limiter
	seen time.Time
}

func newBuckets(r Rate) *buckets {
	if r.Off() {
		return nil
	}
	refill := time.Duration(float64(r.Burst) / r.PerSecond * float64(time.Second))
	return &buckets{r: r, m: map[string]*bucket{}, refill: max(refill, time.Second), maxKeys: 1 << 20}
}

// take spends one token of key's bucket at now. It returns the tokens left
// and, when refused, how long until a token is back.
func (b *buckets) take(key string, now time.Time) (left float64, wait time.Duration, ok bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if now.Sub(b.swept) > b.refill || len(b.m) >= b.maxKeys {
		for k, v := range b.m {
			if now.Sub(v.seen) > b.refill {
				delete(b.m, k)
			}
		}
		b.swept = now
	}
	bk := b.m[key]
	if bk == nil {
		bk = &bucket{lim: rate.NewLimiter(rate.Limit(b.r.PerSecond), b.r.Burst)}
		b.m[key] = bk
	}
	bk.seen = now
	if bk.lim.AllowN(now, 1) {
		return bk.lim.TokensAt(now), 0, true
	}
	need := 1 - bk.lim.TokensAt(now)
	return 0, time.Duration(need / b.r.PerSecond * float64(time.Second)), false
}

// headers sets the IETF RateLimit-* fields of a bucket with left tokens:
// the limit is the burst, the reset the seconds until the bucket is full.
func (b *buckets) headers(h http.Header, left float64) {
	h.Set("RateLimit-Limit", strconv.Itoa(b.r.Burst))
	h.Set("RateLimit-Remaining", strconv.Itoa(int(math.Max(0, math.Floor(left)))))
	reset := math.Ceil((float64(b.r.Burst) - left) / b.r.PerSecond)
	h.Set("RateLimit-Reset", strconv.Itoa(int(math.Max(0, reset))))
}

// allow spends a token of the address's bucket and, for a logged-in
// caller, of the uid's; it answers 429 when either is empty. The RateLimit
// headers describe the bucket with fewer tokens left.
func (e *Edge) allow(w http.ResponseWriter, c *caller, addr netip.Addr, graphQL bool) bool {
	now := time.Now()
	var (
		shown *buckets
		left  float64
	)
	show := func(b *buckets, l float64) {
		if shown == nil || l < left {
			shown, left = b, l
		}
	}
	ok, wait, limit := true, time.Duration(0), "address"
	if e.addrs != nil {
		l, d, allowed := e.addrs.take(addr.String(), now)
		show(e.addrs, l)
		ok, wait = allowed, d
	}
	if ok && e.uids != nil {
		if uid := c.UID(); uid != "" {
			l, d, allowed := e.uids.take(uid, now)
			show(e.uids, l)
			ok, wait, limit = allowed, d, "uid"
		}
	}
	if shown != nil {
		shown.headers(w.Header(), left)
	}
	if !ok {
		e.cfg.Refused(limit)
		e.cfg.Answered(c.r, http.StatusTooManyRequests)
		e.tooMany(w, wait, graphQL)
	}
	return ok
}

func (e *Edge) tooMany(w http.ResponseWriter, wait time.Duration, graphQL bool) {
	secs := max(1, int(math.Ceil(wait.Seconds())))
	w.Header().Set("Retry-After", strconv.Itoa(secs))
	if graphQL {
		writeGraphQLError(w, http.StatusTooManyRequests, "too many requests; retry after "+strconv.Itoa(secs)+" s",
			map[string]any{"code": errs.ExtRateLimited, "retryAfter": secs})
		return
	}
	writeLegacyFailure(w, http.StatusTooManyRequests, "请求太频繁，请稍后重试")
}
