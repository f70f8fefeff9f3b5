package linkpreview

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"chaoqer/ent/entdb/entdbtest"
	entlp "chaoqer/ent/linkpreview"
)

func TestKeyIsMD5OfTheRawText(t *testing.T) {
	// Spec §7: the key is computed before trimming or adding a scheme.
	if Key("http://example.com") != "a9b9f04336ce0181a08e774e01113b31" {
		t.Fatal(Key("http://example.com"))
	}
	if Key(" example.com") == Key("http://example.com") {
		t.Fatal("raw texts must give different keys")
	}
}

func TestTruncateCountsUTF16Units(t *testing.T) {
	if s := Truncate(strings.Repeat("a", 600)); len(s) != 500 {
		t.Fatal(len(s))
	}
	// 😀 is two UTF-16 units: exactly 250 fit in 500.
	if s := Truncate(strings.Repeat("😀", 300)); s != strings.Repeat("😀", 250) {
		t.Fatal(len(s))
	}
	if s := Truncate("短链接"); s != "短链接" {
		t.Fatal(s)
	}
}

func TestNormalize(t *testing.T) {
	for in, want := range map[string]string{
		" example.com/a ":        "http://example.com/a",
		"https://example.com":    "https://example.com",
		"HTTP://Example.com/x":   "http://Example.com/x",
		"http://" + long(300):    "",
		"localhost/admin":        "",
		"127.0.0.1:8080/x":       "http://127.0.0.1:8080/x",
		"not a link":             "",
		"ftp://example.com":      "",
		"":                       "",
		"http://":                "",
		"javascript:alert(1)":    "",
		"example.com/" + long(5): "http://example.com/" + long(5),
	} {
		got, ok := Normalize(in)
		if got != want || ok != (want != "") {
			t.Errorf("Normalize(%q) = %q %v, want %q", in, got, ok, want)
		}
	}
}

func long(n int) string { return strings.Repeat("a", n) }

func newService(t *testing.T, f *Fetcher) (*Service, func() int) {
	t.Helper()
	db := entdbtest.Open(t)
	s := New(db, f, slog.New(slog.NewTextHandler(io.Discard, nil)), 2, 16)
	t.Cleanup(s.Close)
	return s, func() int { return int(db.Statements()) }
}

func TestRecordFetchesOnceAndCaches(t *testing.T) {
	site := newSite(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/og" {
			page(ogPage)(w, r)
			return
		}
		page("<html><body>no title</body></html>")(w, r)
	})
	s, _ := newService(t, NewFetcher(Options{Allow: allowOnly(site)}))
	ctx := context.Background()

	text := site.URL + "/og"
	empty, err := s.Preview(ctx, Key(text))
	if err != nil || *empty != (Preview{}) {
		t.Fatalf("before recording: %+v %v", empty, err)
	}
	for range 3 {
		if err := s.Record(ctx, text); err != nil {
			t.Fatal(err)
		}
	}
	s.Wait()
	if n := site.hits.Load(); n != 1 {
		t.Fatalf("fetched %d times", n)
	}
	p, err := s.Preview(ctx, Key(text))
	if err != nil || p.Title != "创业路上之职业技能篇 - 技术" || p.URL != text || p.Image == "" {
		t.Fatalf("preview %+v %v", p, err)
	}
	if err := s.Record(ctx, text); err != nil {
		t.Fatal(err)
	}
	s.Wait()
	if n := site.hits.Load(); n != 1 {
		t.Fatalf("a cached link was fetched again (%d)", n)
	}

	// A page without a title, a refused address and a non-link all fail
	// and read as four empty strings.
	for _, bad := range []string{site.URL + "/none", "http://10.0.0.1/", "not a link at all"} {
		if err := s.Record(ctx, bad); err != nil {
			t.Fatal(err)
		}
		s.Wait()
		p, err := s.Preview(ctx, Key(bad))
		if err != nil || *p != (Preview{}) {
			t.Fatalf("%s: %+v %v", bad, p, err)
		}
		row, err := s.db.LinkPreview.Get(ctx, Key(bad))
		if err != nil || row.Status != StatusFailed || row.Link != bad {
			t.Fatalf("%s: row %+v %v", bad, row, err)
		}
	}
	if err := s.Record(ctx, "   "); err != nil {
		t.Fatal(err)
	}
	if n, _ := s.db.LinkPreview.Query().Where(entlp.Link("   ")).Count(ctx); n != 0 {
		t.Fatal("recorded a blank text")
	}
}

func TestStaleClaimsAreTakenOver(t *testing.T) {
	site := newSite(t, page(ogPage))
	s, _ := newService(t, NewFetcher(Options{Allow: allowOnly(site)}))
	ctx := context.Background()
	now := time.Now()
	s.SetClock(func() time.Time { return now })
	text := site.URL + "/"

	// Another instance claimed the link and stopped before fetching it.
	claimed, err := s.claim(ctx, Key(text), text)
	if err != nil || !claimed {
		t.Fatal(claimed, err)
	}
	if again, _ := s.claim(ctx, Key(text), text); again {
		t.Fatal("a fresh claim was taken over")
	}
	now = now.Add(pendingStale + time.Second)
	if err := s.Record(ctx, text); err != nil {
		t.Fatal(err)
	}
	s.Wait()
	if p, _ := s.Preview(ctx, Key(text)); p.Title == "" {
		t.Fatal("stale claim not fetched")
	}

	// A failure is retried after retryFailedAfter, not before.
	bad := "http://10.0.0.1/x"
	_ = s.Record(ctx, bad)
	s.Wait()
	if again, _ := s.claim(ctx, Key(bad), bad); again {
		t.Fatal("a fresh failure was retried")
	}
	now = now.Add(retryFailedAfter + time.Second)
	if again, _ := s.claim(ctx, Key(bad), bad); !again {
		t.Fatal("an old failure was not retried")
	}
}
