// Package linkpreview makes and caches previews ({title, description, image,
// url}) of links shared in live rooms (spec §7). The live room records a link
// when a speaker shares it (Record); the page is fetched once, in the
// background, by this server itself (Fetcher: Open Graph tags with <title>
// and meta-description fallbacks, refusing internal addresses), and clients
// read the cached preview by the link's MD5 key (Preview).
//
// The key is the lowercase hex MD5 of the link text exactly as shared (after
// the room's 500-character truncation, before any trimming or scheme
// prefix): clients hash the raw text they shared or received.
package linkpreview

import (
	"context"
	"log/slog"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf16"

	entsql "entgo.io/ent/dialect/sql"

	"chaoqer/ent"
	"chaoqer/ent/entdb"
	entlp "chaoqer/ent/linkpreview"
	"chaoqer/graph/ids"
)

// Row statuses of link_previews.
const (
	StatusPending = 0
	StatusFetched = 1
	StatusFailed  = 2
)

// Rules of the worker (spec §7).
const (
	// MaxToolText is the room's truncation of a shared link (UTF-16 units).
	MaxToolText = 500
	// MaxLink is the longest normalised link that is fetched.
	MaxLink = 300
	// pendingStale is when a claimed but unfinished fetch (a lost job or a
	// stopped instance) may be claimed again.
	pendingStale = 2 * time.Minute
	// retryFailedAfter is when a failed fetch may be tried again.
	retryFailedAfter = time.Hour
)

// Key is the cache key of a shared link text: lowercase hex MD5 of it.
func Key(text string) string { return ids.MD5(text) }

// Truncate cuts a shared link text to MaxToolText UTF-16 units, as the live
// room does before broadcasting and recording it.
func Truncate(text string) string {
	n := 0
	for i, r := range text {
		n += utf16.RuneLen(r)
		if n > MaxToolText {
			return text[:i]
		}
	}
	return text
}

// Normalize turns a shared text into the URL to fetch: trimmed, http://
// added when there is no http(s) scheme; ok is false when it is too long or
// not a usable http(s) URL.
func Normalize(text string) (link string, ok bool) {
	link = strings.TrimSpace(text)
	lower := strings.ToLower(link)
	if !strings.HasPrefix(lower, "http://") && !strings.HasPrefix(lower, "https://") {
		if strings.Contains(link, "://") {
			return "", false // another scheme
		}
		link = "http://" + link
	}
	if len(link) > MaxLink || strings.ContainsAny(link, " \t\r\n") {
		return "", false
	}
	u, err := url.Parse(link)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") {
		return "", false
	}
	// A domain name with a dot, or an IP literal (like a URL validator).
	host := u.Hostname()
	if _, err := netip.ParseAddr(host); err != nil && (!strings.Contains(host, ".") ||
		strings.HasPrefix(host, ".") || strings.Contains(host, "..") || strings.ContainsAny(host, ":/@")) {
		return "", false
	}
	if p := u.Port(); p != "" {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return "", false
		}
	}
	return u.String(), true
}

// Service records shared links, fetches their previews in the background
// with bounded concurrency, and answers cached previews.
type Service struct {
	db      *ent.Client
	dialect string
	fetcher *Fetcher
	log     *slog.Logger
	now     func() time.Time

	jobs    chan job
	ctx     context.Context
	stop    context.CancelFunc
	workers sync.WaitGroup
	pending sync.WaitGroup
}

type job struct{ key, text string }

// New starts a service with workers concurrent fetches and a queue of
// queue links waiting for one.
func New(db *entdb.DB, f *Fetcher, log *slog.Logger, workers, queue int) *Service {
	ctx, stop := context.WithCancel(context.Background())
	s := &Service{db: db.Client, dialect: db.Dialect, fetcher: f, log: log, now: time.Now,
		jobs: make(chan job, queue), ctx: ctx, stop: stop}
	for range workers {
		s.workers.Add(1)
		go s.work()
	}
	return s
}

// SetClock replaces the time source (tests).
func (s *Service) SetClock(now func() time.Time) { s.now = now }

// Record notes that text was shared as a link and, unless its preview is
// cached, being fetched or failed recently, queues a fetch. The fetch runs
// in the background; Record returns after one SQL statement. Across server
// instances a link is fetched once: the instance whose statement claims the
// row fetches it. text is the shared text after Truncate.
func (s *Service) Record(ctx context.Context, text string) error {
	if strings.TrimSpace(text) == "" {
		return nil
	}
	key := Key(text)
	claimed, err := s.claim(ctx, key, text)
	if err != nil || !claimed {
		return err
	}
	s.pending.Add(1)
	select {
	case s.jobs <- job{key: key, text: text}:
	default:
		// Queue full: the row stays pending and is claimed again later.
		s.pending.Done()
		s.log.Warn("link preview queue full; fetch deferred")
	}
	return nil
}

// claim inserts the pending row, or takes over one whose fetch was lost or
// failed long ago. It reports whether this call owns the fetch.
func (s *Service) claim(ctx context.Context, key, text string) (bool, error) {
	now := s.now().UnixMilli()
	t := entsql.Table(entlp.Table)
	query, args := entsql.Dialect(s.dialect).
		Insert(entlp.Table).
		Columns(entlp.FieldID, entlp.FieldLink, entlp.FieldURL, entlp.FieldTitle, entlp.FieldDescription,
			entlp.FieldImage, entlp.FieldStatus, entlp.FieldCreateTime, entlp.FieldUpdateTime).
		Values(key, text, "", "", "", "", StatusPending, now, now).
		OnConflict(
			entsql.ConflictColumns(entlp.FieldID),
			entsql.ResolveWith(func(u *entsql.UpdateSet) {
				u.Set(entlp.FieldStatus, StatusPending)
				u.Set(entlp.FieldUpdateTime, now)
			}),
			entsql.UpdateWhere(entsql.Or(
				entsql.And(entsql.EQ(t.C(entlp.FieldStatus), StatusPending), entsql.LT(t.C(entlp.FieldUpdateTime), now-pendingStale.Milliseconds())),
				entsql.And(entsql.EQ(t.C(entlp.FieldStatus), StatusFailed), entsql.LT(t.C(entlp.FieldUpdateTime), now-retryFailedAfter.Milliseconds())),
			)),
		).
		Query()
	res, err := s.db.ExecContext(ctx, query, args...)
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n > 0, err
}

func (s *Service) work() {
	defer s.workers.Done()
	for {
		select {
		case <-s.ctx.Done():
			return
		case j := <-s.jobs:
			s.fetch(j)
			s.pending.Done()
		}
	}
}

// fetch fetches one claimed link and stores the outcome. A page without a
// title is a failure (nothing to show).
func (s *Service) fetch(j job) {
	status, p := StatusFailed, &Preview{}
	if link, ok := Normalize(j.text); ok {
		got, err := s.fetcher.Fetch(s.ctx, link)
		switch {
		case err != nil:
			s.log.Debug("link preview fetch failed", "key", j.key, "err", err)
		case got.Title != "":
			status, p = StatusFetched, got
		}
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(s.ctx), 5*time.Second)
	defer cancel()
	err := s.db.LinkPreview.UpdateOneID(j.key).
		SetStatus(status).SetTitle(p.Title).SetDescription(p.Description).
		SetImage(p.Image).SetURL(p.URL).SetUpdateTime(s.now().UnixMilli()).
		Exec(ctx)
	if err != nil {
		s.log.Warn("storing a link preview", "key", j.key, "err", err)
	}
}

// Preview returns the cached preview of key, or four empty strings when
// there is none (unknown, pending or failed).
func (s *Service) Preview(ctx context.Context, key string) (*Preview, error) {
	row, err := s.db.LinkPreview.Query().Where(entlp.ID(key), entlp.Status(StatusFetched)).Only(ctx)
	if ent.IsNotFound(err) {
		return &Preview{}, nil
	}
	if err != nil {
		return nil, err
	}
	return &Preview{Title: row.Title, Description: row.Description, Image: row.Image, URL: row.URL}, nil
}

// Wait blocks until every queued fetch has finished (tests, shutdown).
func (s *Service) Wait() { s.pending.Wait() }

// Close stops the workers; fetches in progress are abandoned (their rows
// are claimed again after pendingStale).
func (s *Service) Close() {
	s.stop()
	s.workers.Wait()
}
