package main

import (
	"context"
	"crypto/md5"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"flag"
	"fmt"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/lib/pq"
)

// The data set of issue 13. Every row follows from these numbers and the
// fixed random seed, so two seeded databases are identical.
const (
	nUsers       = 2100
	nClubs       = 220
	nMemberships = 8619
	nRooms       = 330 // all open
	nPresences   = 2936
	nBlocks      = 3000
	nCards       = 6000

	viewerClubs     = 12  // clubs 0..11 have the viewer (user 0) as a member
	viewerClubRooms = 60  // rooms 0..59 belong to the viewer's clubs
	clubRooms       = 200 // rooms 60..199 belong to other clubs; 200.. are public
	viewerBlocks    = 150 // users the viewer has blocked
	viewerCards     = 150 // users the viewer has given a card
	maxRoomSize     = 40

	mobileBase       = 13700000000   // user i logs in as 86 mobileBase+i
	baseMs     int64 = 1767225600000 // 2026-01-01T00:00:00Z
	// seenMs is the presence rows' last refresh: far in the future, so no
	// server's reaper ever takes them for rows of a dead instance.
	seenMs int64 = 4102444800000 // 2100-01-01
)

// hexID is the deterministic 32-hex id of the i-th row of a kind.
func hexID(kind string, i int) string {
	sum := md5.Sum([]byte("versus-" + kind + "-" + strconv.Itoa(i)))
	return hex.EncodeToString(sum[:])
}

func md5Hex(s string) string {
	sum := md5.Sum([]byte(s))
	return hex.EncodeToString(sum[:])
}

func userID(i int) string { return hexID("user", i) }

// viewerMobile and profileTarget are the benchmark's caller and the user
// whose profile it reads.
func viewerMobile() string  { return strconv.Itoa(mobileBase) }
func profileTarget() string { return userID(1) }

type table struct {
	name string
	cols []string
	rows [][]any
}

func (t *table) add(row ...any) { t.rows = append(t.rows, row) }

// dataset builds every row in memory.
func dataset() []*table {
	rng := rand.New(rand.NewPCG(13, 1))
	accounts := &table{name: "accounts", cols: []string{"id", "country_code", "mobile", "mobile_md5", "status",
		"client_type", "version_name", "version_code", "create_time", "update_time", "active_time"}}
	profiles := &table{name: "user_profiles", cols: []string{"id", "nickname", "avatar", "bio", "figure",
		"create_time", "update_time"}}
	for i := 0; i < nUsers; i++ {
		ct := baseMs - int64(nUsers-i)*600_000
		mobile := strconv.Itoa(mobileBase + i)
		accounts.add(userID(i), "86", mobile, md5Hex("86:"+mobile), 1, 1+i%2, "2.3.0", 230, ct, ct, ct)
		var bio any
		if i%3 != 0 {
			bio = fmt.Sprintf("第%d号用户。喜欢音乐、读书和旅行，周末常在圈子里聊天。", i)
		}
		profiles.add(userID(i), fmt.Sprintf("用户%04d", i), fmt.Sprintf("https://cdn.example.com/avatar/%04d.jpg", i),
			bio, nil, ct, ct)
	}

	// Clubs: 39 or 40 members each on average, skewed in pairs so the total
	// stays nMemberships (sizes 10..69).
	clubs := &table{name: "clubs", cols: []string{"id", "uid", "name", "cover", "create_time"}}
	members := &table{name: "club_members", cols: []string{"club_id", "uid", "admin", "create_time", "sequence_id"}}
	sizes := make([]int, nClubs)
	for i := range sizes {
		sizes[i] = nMemberships / nClubs
		if i < nMemberships%nClubs {
			sizes[i]++
		}
	}
	for i := 0; i < nClubs/2; i++ {
		d := (i * 13) % 30
		sizes[i] += d
		sizes[nClubs-1-i] -= d
	}
	clubMembers := make([][]int, nClubs)
	for i := 0; i < nClubs; i++ {
		id := hexID("club", i)
		creator := (i*9 + 1) % nUsers // never 0: the viewer creates no club
		ct := baseMs - int64(nClubs-i)*3_600_000
		clubs.add(id, userID(creator), fmt.Sprintf("圈子%03d", i), fmt.Sprintf("https://cdn.example.com/cover/%03d.jpg", i), ct)
		in := map[int]bool{creator: true}
		list := []int{creator}
		if i < viewerClubs {
			in[0] = true
			list = append(list, 0)
		}
		for len(list) < sizes[i] {
			u := rng.IntN(nUsers)
			if !in[u] {
				in[u] = true
				list = append(list, u)
			}
		}
		for j, u := range list {
			mt := ct + int64(j)*60_000
			members.add(id, userID(u), j == 0, mt, fmt.Sprintf("%d:%s", mt, id))
		}
		clubMembers[i] = list
	}

	// Rooms: 60 in the viewer's clubs, 140 in other clubs, 130 public (13
	// of them invite-only), created in shuffled order so the segments mix
	// in time. Presence: the creator hosts, two speakers, then audience.
	rooms := &table{name: "rooms", cols: []string{"id", "uid", "name", "club_id", "invite_only", "closed",
		"create_time", "close_time", "sequence_id", "live_state", "empty_since", "ruid_seq"}}
	presences := &table{name: "room_presences", cols: []string{"room_id", "uid", "ruid", "role", "conn_id",
		"instance_id", "tool", "tool_data", "create_time", "seen_time"}}
	extra := make([]int, nRooms)
	sum := 0
	for i := range extra {
		extra[i] = rng.IntN(16)
		sum += extra[i]
	}
	for target := nPresences - nRooms; sum != target; {
		i := rng.IntN(nRooms)
		switch {
		case sum < target && extra[i] < maxRoomSize-1:
			extra[i]++
			sum++
		case sum > target && extra[i] > 0:
			extra[i]--
			sum--
		}
	}
	order := rng.Perm(nRooms)
	for i := 0; i < nRooms; i++ {
		id := hexID("room", i)
		ct := baseMs + int64(order[i])*60_000
		club, inviteOnly := -1, 0
		switch {
		case i < viewerClubRooms:
			club = i % viewerClubs
		case i < clubRooms:
			club = viewerClubs + rng.IntN(nClubs-viewerClubs)
		case (i-clubRooms)%10 == 9:
			inviteOnly = 1
		}
		// Candidates: the club's members first (shuffled), then anyone.
		var pool []int
		if club >= 0 {
			pool = append(pool, clubMembers[club]...)
			rng.Shuffle(len(pool), func(a, b int) { pool[a], pool[b] = pool[b], pool[a] })
		}
		size := 1 + extra[i]
		in := map[int]bool{0: true} // the viewer is in no room
		var list []int
		for len(list) < size {
			var u int
			if len(pool) > 0 {
				u, pool = pool[0], pool[1:]
			} else {
				u = rng.IntN(nUsers)
			}
			if !in[u] {
				in[u] = true
				list = append(list, u)
			}
		}
		var clubID any
		if club >= 0 {
			clubID = hexID("club", club)
		}
		rooms.add(id, userID(list[0]), fmt.Sprintf("活动%03d：聊聊最近读的书", i), clubID, inviteOnly, false,
			ct, nil, fmt.Sprintf("%d:%s", ct, id), nil, nil, len(list))
		for j, u := range list {
			role := 0
			switch {
			case j == 0:
				role = 2
			case j <= 2:
				role = 1
			}
			presences.add(id, userID(u), j+1, role, fmt.Sprintf("versus-%d-%d", i, j), "versus-seed", "", "",
				ct+int64(j)*1000, seenMs)
		}
	}

	// Blocks and cards: the viewer's first, then random pairs.
	blocks := &table{name: "user_blocks", cols: []string{"uid", "target_uid", "create_time", "sequence_id"}}
	cards := &table{name: "user_cards", cols: []string{"holder_uid", "sender_uid", "deleted", "create_time", "sequence_id"}}
	pairs := func(n, fixedSide, fixed int, build func(a, b int, k int)) {
		seen := map[[2]int]bool{}
		for k := 0; len(seen) < n; {
			a, b := rng.IntN(nUsers), rng.IntN(nUsers)
			if k < fixed {
				if fixedSide == 0 {
					a = 0
				} else {
					b = 0
				}
			}
			if a == b || seen[[2]int{a, b}] {
				continue
			}
			seen[[2]int{a, b}] = true
			build(a, b, k)
			k++
		}
	}
	pairs(nBlocks, 0, viewerBlocks, func(a, b, k int) {
		ct := baseMs - int64(k)*90_000
		blocks.add(userID(a), userID(b), ct, fmt.Sprintf("%d:%s", ct, userID(b)))
	})
	pairs(nCards, 1, viewerCards, func(holder, sender, k int) {
		ct := baseMs - int64(k)*45_000
		deleted := 0
		if k%7 == 6 {
			deleted = 1
		}
		cards.add(userID(holder), userID(sender), deleted, ct, fmt.Sprintf("%d:%s", ct, userID(sender)))
	})
	return []*table{accounts, profiles, clubs, members, rooms, presences, blocks, cards}
}

// digest is a SHA-256 over every row, to compare two seeded databases.
func digest(tables []*table) string {
	h := sha256.New()
	for _, t := range tables {
		fmt.Fprintln(h, t.name, t.cols)
		for _, row := range t.rows {
			fmt.Fprintln(h, row...)
		}
	}
	return hex.EncodeToString(h.Sum(nil))[:16]
}

// seed loads the data set into a database whose schema the chaoqer binary
// has just created (it must hold no account yet), then VACUUMs and ANALYZEs
// it: the vacuum sets the visibility map, so that index-only scans read no
// table pages from the first request on, as after autovacuum's first pass
// in a running database (both servers see the same state).
func seed(args []string) error {
	fs := flag.NewFlagSet("seed", flag.ExitOnError)
	dsn := fs.String("db", "", "PostgreSQL URL of the migrated, empty database")
	_ = fs.Parse(args)
	db, err := sql.Open("postgres", *dsn)
	if err != nil {
		return err
	}
	defer db.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	var n int
	if err := db.QueryRowContext(ctx, "SELECT count(*) FROM accounts").Scan(&n); err != nil {
		return fmt.Errorf("schema not migrated? %w", err)
	}
	if n != 0 {
		return fmt.Errorf("database already has %d accounts: seed a fresh one", n)
	}
	tables := dataset()
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	for _, t := range tables {
		stmt, err := tx.PrepareContext(ctx, pq.CopyIn(t.name, t.cols...))
		if err != nil {
			return fmt.Errorf("%s: %w", t.name, err)
		}
		for _, row := range t.rows {
			if _, err := stmt.ExecContext(ctx, row...); err != nil {
				return fmt.Errorf("%s: %w", t.name, err)
			}
		}
		if _, err := stmt.ExecContext(ctx); err != nil {
			return fmt.Errorf("%s: %w", t.name, err)
		}
		if err := stmt.Close(); err != nil {
			return err
		}
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	if _, err := db.ExecContext(ctx, "VACUUM (ANALYZE)"); err != nil {
		return err
	}
	for _, t := range tables {
		fmt.Printf("%s %d, ", t.name, len(t.rows))
	}
	fmt.Printf("VACUUMed and ANALYZEd; data set digest %s\n", digest(tables))
	return nil
}
