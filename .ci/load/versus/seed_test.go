package main

import (
	"fmt"
	"regexp"
	"testing"
)

func byName(tables []*table) map[string]*table {
	m := map[string]*table{}
	for _, t := range tables {
		m[t.name] = t
	}
	return m
}

// The data set is the one issue 13 describes, and every seed is the same.
func TestDatasetMatchesTheIssue(t *testing.T) {
	tables := byName(dataset())
	want := map[string]int{"accounts": nUsers, "user_profiles": nUsers, "clubs": 220, "club_members": 8619,
		"rooms": 330, "room_presences": 2936, "user_blocks": nBlocks, "user_cards": nCards}
	for name, n := range want {
		if got := len(tables[name].rows); got != n {
			t.Errorf("%s: %d rows, want %d", name, got, n)
		}
	}
	col := func(tb *table, name string) int {
		for i, c := range tb.cols {
			if c == name {
				return i
			}
		}
		t.Fatalf("%s has no column %s", tb.name, name)
		return -1
	}
	for _, r := range tables["rooms"].rows {
		if r[col(tables["rooms"], "closed")] != false {
			t.Fatalf("room %v is closed", r[0])
		}
	}
	if a, b := digest(dataset()), digest(dataset()); a != b {
		t.Errorf("two data sets differ: %s, %s", a, b)
	}
}

// Every row satisfies the unique indexes of the migrated schema, and every
// reference points at a seeded row, so COPY cannot fail half-way.
func TestDatasetKeys(t *testing.T) {
	tables := byName(dataset())
	hex32 := regexp.MustCompile(`^[0-9a-f]{32}$`)
	users := map[any]bool{}
	for _, r := range tables["accounts"].rows {
		if !hex32.MatchString(r[0].(string)) {
			t.Fatalf("uid %v", r[0])
		}
		users[r[0]] = true
	}
	ids := func(name string) map[any]bool {
		m := map[any]bool{}
		for _, r := range tables[name].rows {
			m[r[0]] = true
		}
		return m
	}
	clubs, rooms := ids("clubs"), ids("rooms")
	unique := func(name string, key []int, refs map[int]map[any]bool) {
		seen := map[string]bool{}
		for _, r := range tables[name].rows {
			k := ""
			for _, i := range key {
				k += fmt.Sprint(r[i]) + "|"
			}
			if seen[k] {
				t.Errorf("%s: duplicate key %s", name, k)
			}
			seen[k] = true
			for i, set := range refs {
				if r[i] != nil && !set[r[i]] {
					t.Errorf("%s: column %d refers to a missing row %v", name, i, r[i])
				}
			}
		}
	}
	unique("user_profiles", []int{0}, map[int]map[any]bool{0: users})
	unique("clubs", []int{0}, map[int]map[any]bool{1: users})
	unique("club_members", []int{0, 1}, map[int]map[any]bool{0: clubs, 1: users})
	unique("rooms", []int{0}, map[int]map[any]bool{1: users, 3: clubs})
	unique("room_presences", []int{0, 1}, map[int]map[any]bool{0: rooms, 1: users})
	unique("user_blocks", []int{0, 1}, map[int]map[any]bool{0: users, 1: users})
	unique("user_cards", []int{0, 1}, map[int]map[any]bool{0: users, 1: users})
}

// The legacy signature is the conformance kit's: the value below is
// shared/conformance/chaoqer.py sign({"count": "20", "ts": 1700000000000}, secret).
func TestLegacySign(t *testing.T) {
	got := legacySign(map[string]string{"ts": "1700000000000", "count": "20"}, "804dffb4b834f7e7019fa22f8b5dfbc2")
	if want := "3176bdb963246ceb212df6a0b89d7ae6"; got != want {
		t.Errorf("sign %s, want %s", got, want)
	}
}
