package loader

import (
	"context"
	"sync"

	"chaoqer/graph/club"
	"chaoqer/graph/page"
)

// MemberPages remembers, for one request, the member pages (Club.members)
// read per club and page arguments. A list resolver whose clubs show their
// members prefetches every club's page in one statement; the clubs'
// members resolvers then find theirs here.
type MemberPages struct {
	fetch func(ctx context.Context, clubIDs []string, args page.Args) (map[string]*club.MemberPage, error)

	mu    sync.Mutex
	pages map[page.Args]map[string]*club.MemberPage
}

func newMemberPages(fetch func(context.Context, []string, page.Args) (map[string]*club.MemberPage, error)) *MemberPages {
	return &MemberPages{fetch: fetch, pages: map[page.Args]map[string]*club.MemberPage{}}
}

// Prefetch reads the pages args selects of clubIDs in one statement and
// remembers them (it reads them even when remembered, so that how many
// statements a request runs never depends on the order its resolvers ran).
func (m *MemberPages) Prefetch(ctx context.Context, clubIDs []string, args page.Args) (map[string]*club.MemberPage, error) {
	if len(clubIDs) == 0 {
		return nil, nil
	}
	found, err := m.fetch(ctx, dedupe(clubIDs), args)
	if err != nil {
		return nil, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	byClub := m.pages[args]
	if byClub == nil {
		byClub = map[string]*club.MemberPage{}
		m.pages[args] = byClub
	}
	for id, p := range found {
		byClub[id] = p
	}
	return found, nil
}

// Get returns clubID's page for args: the one prefetched (prefetched true:
// the list that read it also loaded its users), or one read now.
func (m *MemberPages) Get(ctx context.Context, clubID string, args page.Args) (p *club.MemberPage, prefetched bool, err error) {
	m.mu.Lock()
	p = m.pages[args][clubID]
	m.mu.Unlock()
	if p != nil {
		return p, true, nil
	}
	found, err := m.fetch(ctx, []string{clubID}, args)
	if err != nil {
		return nil, false, err
	}
	return found[clubID], false, nil
}

// Clear forgets every page.
func (m *MemberPages) Clear() {
	m.mu.Lock()
	defer m.mu.Unlock()
	clear(m.pages)
}
