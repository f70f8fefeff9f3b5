package main

import (
	"bytes"
	"context"
	"crypto/md5"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	_ "github.com/lib/pq"
)

// Our GraphQL shapes. feedStandard and feedCard are the two queries of
// ../room_feed.lua (FEED=full and FEED=card).
const (
	oursFeedStandard = `query Feed($first: Int) {
  roomFeed(first: $first) {
    edges {
      cursor
      node {
        roomId
        createTime
        room {
          roomId name inviteOnly createTime memberTotal
          creator { uid nickname avatar }
          club { clubId name cover memberTotal viewerHasJoined }
          members { uid nickname avatar bio viewerHasBlocked viewerSentCard cardTotal allowLive }
        }
      }
    }
    pageInfo { hasNextPage endCursor }
  }
}`
	oursFeedCard = `query Feed($first: Int) {
  roomFeed(first: $first) {
    edges {
      cursor
      node {
        room {
          roomId name memberTotal createTime
          creator { uid nickname }
          club { clubId name }
          members { uid nickname avatar }
        }
      }
    }
    pageInfo { hasNextPage endCursor }
  }
}`
	oursProfile = `query Profile($uid: ID!) {
  user(uid: $uid) { uid nickname avatar bio viewerHasBlocked viewerSentCard cardTotal allowLive }
}`
)

// PostGraphile's equivalents, written against the schema it generates from
// the tables and smart_comments.sql: the same rows and fields, the viewer's
// relations (joined, blocked, card sent) as conditioned totalCounts. Its
// feed is every open non-private room, newest first, since it cannot
// express "the viewer's clubs first" without a custom function; the page
// sizes and nested work per room are the same.
const (
	theirsFeedStandard = `query Feed($first: Int, $viewer: String!) {
  allRooms(first: $first, condition: {closed: false, inviteOnly: "0"}, orderBy: SEQUENCE_ID_DESC) {
    edges {
      cursor
      node {
        id name inviteOnly createTime
        memberTotal: roomPresencesByRoomId { totalCount }
        creator: userProfileByUid { id nickname avatar }
        club: clubByClubId {
          id name cover
          memberTotal: clubMembersByClubId { totalCount }
          viewerMembership: clubMembersByClubId(condition: {uid: $viewer}) { totalCount }
        }
        members: roomPresencesByRoomId(first: 6, orderBy: [ROLE_DESC, RUID_ASC]) {
          nodes {
            user: userProfileByUid {
              id nickname avatar bio
              viewerBlocks: userBlocksByTargetUid(condition: {uid: $viewer}) { totalCount }
              viewerCards: userCardsByHolderUid(condition: {senderUid: $viewer, deleted: "0"}) { totalCount }
              cardTotal: userCardsByHolderUid(condition: {deleted: "0"}) { totalCount }
            }
          }
        }
      }
    }
    pageInfo { hasNextPage endCursor }
  }
}`
	theirsFeedCard = `query Feed($first: Int) {
  allRooms(first: $first, condition: {closed: false, inviteOnly: "0"}, orderBy: SEQUENCE_ID_DESC) {
    edges {
      cursor
      node {
        id name createTime
        memberTotal: roomPresencesByRoomId { totalCount }
        creator: userProfileByUid { id nickname }
        club: clubByClubId { id name }
        members: roomPresencesByRoomId(first: 6, orderBy: [ROLE_DESC, RUID_ASC]) {
          nodes { user: userProfileByUid { id nickname avatar } }
        }
      }
    }
    pageInfo { hasNextPage endCursor }
  }
}`
	theirsProfile = `query Profile($uid: String!, $viewer: String!) {
  userProfileById(id: $uid) {
    id nickname avatar bio
    viewerBlocks: userBlocksByTargetUid(condition: {uid: $viewer}) { totalCount }
    viewerCards: userCardsByHolderUid(condition: {senderUid: $viewer, deleted: "0"}) { totalCount }
    cardTotal: userCardsByHolderUid(condition: {deleted: "0"}) { totalCount }
  }
}`
)

const (
	ours   = "chaoqer"
	theirs = "postgraphile"
)

// shape is one query against one server.
type shape struct {
	name   string // feed-20, card-5, profile, legacy-feed, legacy-profile
	server string
	url    string
	body   []byte // nil: GET
	auth   string
	kind   string // gql or rest
	items  int    // feed pages: the number of rooms expected
	bodyAt string // file holding body, for wrk
}

// result is one measured run.
type result struct {
	shape, server string
	round         int
	requests      int64
	rps           float64
	p50, p99      float64 // ms
	serverCPU     float64 // ms per request
	dbCPU         float64 // ms per request
	statements    float64 // per request
	bytes         float64 // body bytes per response
	failed        int64   // failed answers (HTTP status, errors) + socket errors
	timeouts      int64   // requests wrk gave up on (-timeout)
	detail        []string
}

type runner struct {
	db                  *sql.DB
	oursPID, theirsPID  int
	roles               map[string]string
	clkTck              float64
	threads, conns      int
	duration, warmup    string
	timeout             string
	wrk, lua, work, out string
}

func run(args []string) error {
	fs := flag.NewFlagSet("run", flag.ExitOnError)
	oursBase := fs.String("ours", "", "base URL of the chaoqer binary, e.g. http://127.0.0.1:18700")
	theirsURL := fs.String("theirs", "", "PostGraphile's GraphQL URL, e.g. http://127.0.0.1:18701/graphql")
	dsn := fs.String("db", "", "PostgreSQL URL (a role other than the servers') for statistics")
	r := &runner{roles: map[string]string{}}
	fs.IntVar(&r.oursPID, "ours-pid", 0, "pid of the chaoqer binary")
	fs.IntVar(&r.theirsPID, "theirs-pid", 0, "pid of PostGraphile's master process (its workers are its children)")
	oursRole := fs.String("ours-role", "bench_ours", "database role of the chaoqer binary")
	theirsRole := fs.String("theirs-role", "bench_theirs", "database role of PostGraphile")
	rounds := fs.Int("rounds", 3, "rounds; each runs every shape on both servers, alternating which goes first")
	fs.IntVar(&r.threads, "threads", 2, "wrk threads")
	fs.IntVar(&r.conns, "connections", 16, "wrk connections")
	fs.StringVar(&r.duration, "duration", "10s", "wrk duration of one run")
	fs.StringVar(&r.timeout, "timeout", "10s", "wrk --timeout: slower answers count as timeouts, outside the latency percentiles")
	fs.StringVar(&r.warmup, "warmup", "5s", "wrk duration of the warm-up run of every shape before round 1 (0 for none)")
	fs.StringVar(&r.lua, "lua", "versus.lua", "the wrk script")
	fs.StringVar(&r.wrk, "wrk", "wrk", "the wrk binary")
	fs.StringVar(&r.work, "work", os.TempDir(), "directory for request bodies and wrk logs")
	fs.StringVar(&r.out, "out", "", "also write every run as a TSV line to this file")
	showStatements := fs.Bool("statements", false, "after each run, list its statements per request (pg_stat_statements)")
	clk := fs.Int("clk-tck", 100, "kernel clock ticks per second (getconf CLK_TCK)")
	only := fs.String("shapes", "", "comma list of shapes to run (default all): feed-5,feed-20,feed-100,card-5,card-20,card-100,profile,legacy-feed,legacy-profile")
	_ = fs.Parse(args)
	r.roles[ours], r.roles[theirs] = *oursRole, *theirsRole
	r.clkTck = float64(*clk)
	var err error
	if r.db, err = sql.Open("postgres", *dsn); err != nil {
		return err
	}
	defer r.db.Close()
	r.db.SetMaxOpenConns(1)

	viewer, err := login(*oursBase, viewerMobile())
	if err != nil {
		return fmt.Errorf("login of the viewer %s: %w", viewerMobile(), err)
	}
	shapes, err := r.shapes(*oursBase, *theirsURL, viewer)
	if err != nil {
		return err
	}
	if *only != "" {
		keep := strings.Split(*only, ",")
		shapes = slices.DeleteFunc(shapes, func(s *shape) bool { return !slices.Contains(keep, s.name) })
		if len(shapes) == 0 {
			return fmt.Errorf("no shape matches %q", *only)
		}
	}
	fmt.Println("== checking every shape once")
	for _, s := range shapes {
		if err := check(s); err != nil {
			return fmt.Errorf("%s on %s: %w", s.name, s.server, err)
		}
	}
	if r.warmup != "0" && r.warmup != "" {
		fmt.Printf("== warm-up: %s per shape\n", r.warmup)
		for _, s := range shapes {
			if _, err := r.wrkRun(s, r.warmup, "warmup"); err != nil {
				return err
			}
		}
	}
	var out io.Writer = io.Discard
	if r.out != "" {
		f, err := os.Create(r.out)
		if err != nil {
			return err
		}
		defer f.Close()
		out = f
		fmt.Fprintln(f, "round\tshape\tserver\trequests\treq_s\tp50_ms\tp99_ms\tserver_cpu_ms\tdb_cpu_ms\tsql_per_req\tbytes\tfailed\ttimeouts")
	}
	groups := groupNames(shapes)
	var results []result
	for round := 1; round <= *rounds; round++ {
		fmt.Printf("== round %d of %d: wrk -t%d -c%d -d%s (%s)\n", round, *rounds, r.threads, r.conns, r.duration, loadavg())
		for _, g := range groups {
			pair := slices.DeleteFunc(slices.Clone(shapes), func(s *shape) bool { return s.name != g })
			if round%2 == 0 {
				slices.Reverse(pair)
			}
			for _, s := range pair {
				res, err := r.measure(s, round)
				if err != nil {
					return fmt.Errorf("%s on %s: %w", s.name, s.server, err)
				}
				fmt.Printf("  %-15s %-13s %8.1f req/s  p50 %7.2f ms  p99 %7.2f ms  server %6.2f ms/req  db %6.2f ms/req  %5.2f SQL/req  %7.0f B  failed %d  timeouts %d\n",
					res.shape, res.server, res.rps, res.p50, res.p99, res.serverCPU, res.dbCPU, res.statements, res.bytes, res.failed, res.timeouts)
				fmt.Fprintf(out, "%d\t%s\t%s\t%d\t%.1f\t%.2f\t%.2f\t%.3f\t%.3f\t%.2f\t%.0f\t%d\t%d\n", round, res.shape, res.server,
					res.requests, res.rps, res.p50, res.p99, res.serverCPU, res.dbCPU, res.statements, res.bytes, res.failed, res.timeouts)
				if *showStatements {
					for _, line := range res.detail {
						fmt.Println("      " + line)
					}
				}
				results = append(results, res)
			}
		}
	}
	printTable(groups, results, *rounds)
	for _, res := range results {
		if res.failed > 0 {
			return errors.New("some answers failed (see the failed column)")
		}
	}
	return nil
}

// credentials of the benchmark's caller.
type credentials struct{ uid, token, secret string }

func (c credentials) auth() string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(c.uid+":"+c.token))
}

// login logs the seeded viewer in through our GraphQL API (its number must
// be in CHAOQER_WHITE_MOBILES, code 8888).
func login(base, mobile string) (credentials, error) {
	body, _ := json.Marshal(map[string]any{
		"query":     `mutation($m: String!) { loginWithCaptcha(input: {countryCode: "86", mobile: $m, captcha: "8888"}) { credentials { uid accessToken accessSecret } } }`,
		"variables": map[string]any{"m": mobile},
	})
	resp, err := http.Post(base+"/graphql", "application/json", bytes.NewReader(body))
	if err != nil {
		return credentials{}, err
	}
	defer resp.Body.Close()
	var out struct {
		Data struct {
			LoginWithCaptcha struct {
				Credentials struct{ UID, AccessToken, AccessSecret string }
			}
		}
		Errors json.RawMessage
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		return credentials{}, err
	}
	c := out.Data.LoginWithCaptcha.Credentials
	if c.UID == "" {
		return credentials{}, fmt.Errorf("no credentials: %s", out.Errors)
	}
	return credentials{c.UID, c.AccessToken, c.AccessSecret}, nil
}

// legacySign is the legacy gateway's signature (rest.Sign) for ASCII
// parameters: MD5 of the sorted "k=v" strings and "accessSecret=…", joined by "$$$".
func legacySign(params map[string]string, secret string) string {
	var parts []string
	for k, v := range params {
		parts = append(parts, k+"="+v)
	}
	sort.Strings(parts)
	parts = append(parts, "accessSecret="+secret)
	sum := md5.Sum([]byte(strings.Join(parts, "$$$")))
	return hex.EncodeToString(sum[:])
}

func signedURL(base, path string, params map[string]string, secret string) string {
	params["ts"] = strconv.FormatInt(time.Now().UnixMilli(), 10)
	sign := legacySign(params, secret)
	var q []string
	for k, v := range params {
		q = append(q, k+"="+v)
	}
	sort.Strings(q)
	return base + path + "?" + strings.Join(q, "&") + "&sign=" + sign
}

func (r *runner) shapes(oursBase, theirsURL string, v credentials) ([]*shape, error) {
	gql := func(q string, vars map[string]any) []byte {
		b, _ := json.Marshal(map[string]any{"query": q, "variables": vars})
		return b
	}
	target := profileTarget()
	var list []*shape
	for _, kind := range []string{"feed", "card"} {
		for _, n := range []int{5, 20, 100} {
			name := fmt.Sprintf("%s-%d", kind, n)
			ourQ, theirQ := oursFeedStandard, theirsFeedStandard
			theirVars := map[string]any{"first": n, "viewer": v.uid}
			if kind == "card" {
				ourQ, theirQ = oursFeedCard, theirsFeedCard
				theirVars = map[string]any{"first": n}
			}
			list = append(list,
				&shape{name: name, server: ours, url: oursBase + "/graphql", auth: v.auth(), kind: "gql", items: n,
					body: gql(ourQ, map[string]any{"first": n})},
				&shape{name: name, server: theirs, url: theirsURL, kind: "gql", items: n, body: gql(theirQ, theirVars)})
		}
	}
	list = append(list,
		&shape{name: "profile", server: ours, url: oursBase + "/graphql", auth: v.auth(), kind: "gql",
			body: gql(oursProfile, map[string]any{"uid": target})},
		&shape{name: "profile", server: theirs, url: theirsURL, kind: "gql",
			body: gql(theirsProfile, map[string]any{"uid": target, "viewer": v.uid})},
		&shape{name: "legacy-feed", server: ours, auth: v.auth(), kind: "rest", items: 20,
			url: signedURL(oursBase, "/room", map[string]string{"count": "20"}, v.secret)},
		&shape{name: "legacy-profile", server: ours, auth: v.auth(), kind: "rest",
			url: signedURL(oursBase, "/user/"+target+"/profile", map[string]string{}, v.secret)},
	)
	for i, s := range list {
		if s.body == nil {
			continue
		}
		s.bodyAt = filepath.Join(r.work, fmt.Sprintf("body-%02d-%s-%s.json", i, s.name, s.server))
		if err := os.WriteFile(s.bodyAt, s.body, 0o644); err != nil {
			return nil, err
		}
	}
	return list, nil
}

// check sends the shape once and makes sure the answer is complete: no
// errors, the legacy envelope's status 1, and full feed pages.
func check(s *shape) error {
	method := http.MethodGet
	if s.body != nil {
		method = http.MethodPost
	}
	req, err := http.NewRequest(method, s.url, bytes.NewReader(s.body))
	if err != nil {
		return err
	}
	if s.body != nil {
		req.Header.Set("Content-Type", "application/json")
	} else {
		req.Header.Set("Client-Type", "1")
		req.Header.Set("Version-Code", "100")
	}
	if s.auth != "" {
		req.Header.Set("Authorization", s.auth)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("HTTP %d: %.300s", resp.StatusCode, raw)
	}
	var doc struct {
		Status *int
		Result json.RawMessage
		Data   map[string]json.RawMessage
		Errors json.RawMessage
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		return err
	}
	var top json.RawMessage
	switch {
	case s.kind == "rest" && (doc.Status == nil || *doc.Status != 1):
		return fmt.Errorf("legacy failure: %.300s", raw)
	case s.kind == "rest":
		top = doc.Result
	case len(doc.Errors) > 0 || len(doc.Data) != 1:
		return fmt.Errorf("GraphQL errors: %.500s", raw)
	default:
		for _, v := range doc.Data {
			top = v
		}
	}
	if string(top) == "null" || len(top) == 0 {
		return fmt.Errorf("empty answer: %.300s", raw)
	}
	got := ""
	if s.items > 0 {
		n, err := countItems(top)
		if err != nil {
			return err
		}
		if n != s.items {
			return fmt.Errorf("%d rooms, want %d", n, s.items)
		}
		got = fmt.Sprintf(", %d rooms", n)
	}
	fmt.Printf("  %-15s %-13s ok: %d bytes%s\n", s.name, s.server, len(raw), got)
	return nil
}

// countItems counts the rooms of a feed page: the edges of a connection or
// the list of a legacy page ({"page": …, "list": […]}).
func countItems(top json.RawMessage) (int, error) {
	var page struct{ Edges, List []json.RawMessage }
	if err := json.Unmarshal(top, &page); err != nil {
		return 0, err
	}
	return len(page.Edges) + len(page.List), nil
}

var wrkLine = regexp.MustCompile(`versus requests=(\d+) duration_us=(\d+) p50_us=(\d+) p99_us=(\d+) socket_errors=(\d+) timeouts=(\d+) responses=(\d+) failed=(\d+) body_bytes=(\d+)`)

// wrkRun runs wrk on one shape and returns the numbers of its versus line.
func (r *runner) wrkRun(s *shape, duration, tag string) ([]int64, error) {
	cmd := exec.Command(r.wrk, "-t"+strconv.Itoa(r.threads), "-c"+strconv.Itoa(r.conns), "-d"+duration,
		"--timeout", r.timeout, "-s", r.lua, s.url)
	cmd.Env = append(os.Environ(), "VERSUS_BODY="+s.bodyAt, "VERSUS_AUTH="+s.auth, "VERSUS_KIND="+s.kind)
	out, err := cmd.CombinedOutput()
	_ = os.WriteFile(filepath.Join(r.work, fmt.Sprintf("wrk-%s-%s-%s.log", tag, s.name, s.server)), out, 0o644)
	if err != nil {
		return nil, fmt.Errorf("wrk: %w: %s", err, out)
	}
	m := wrkLine.FindStringSubmatch(string(out))
	if m == nil {
		return nil, fmt.Errorf("no versus line in wrk's output: %s", out)
	}
	nums := make([]int64, len(m)-1)
	for i := range nums {
		nums[i], _ = strconv.ParseInt(m[i+1], 10, 64)
	}
	return nums, nil
}

// measure runs one shape and turns the CPU and statement counters read
// around it into per-request numbers.
func (r *runner) measure(s *shape, round int) (result, error) {
	pid := r.oursPID
	if s.server == theirs {
		pid = r.theirsPID
	}
	role := r.roles[s.server]
	srv0 := cpuTicks(processTree(pid))
	db0, err := r.backendTicks(role)
	if err != nil {
		return result{}, err
	}
	st0, err := r.statements(role)
	if err != nil {
		return result{}, err
	}
	nums, err := r.wrkRun(s, r.duration, fmt.Sprintf("r%d", round))
	if err != nil {
		return result{}, err
	}
	if err := r.drain(pid, role); err != nil {
		return result{}, err
	}
	srv1 := cpuTicks(processTree(pid))
	db1, err := r.backendTicks(role)
	if err != nil {
		return result{}, err
	}
	st1, err := r.statements(role)
	if err != nil {
		return result{}, err
	}
	requests, durUS, responses := nums[0], nums[1], nums[6]
	if requests == 0 || responses == 0 {
		return result{}, fmt.Errorf("no request completed")
	}
	// wrk stops with one request in flight per connection; the servers
	// finish (or abandon) them after it, and the counters read after the
	// drain include them, so they count as requests here.
	served := requests + int64(r.conns)
	stmts, detail := statementDelta(st0, st1, served)
	perReq := func(ticks int64) float64 { return float64(ticks) / r.clkTck * 1000 / float64(served) }
	return result{
		shape: s.name, server: s.server, round: round, requests: requests,
		rps:        float64(requests) / (float64(durUS) / 1e6),
		p50:        float64(nums[2]) / 1000,
		p99:        float64(nums[3]) / 1000,
		serverCPU:  perReq(delta(srv0, srv1)),
		dbCPU:      perReq(delta(db0, db1)),
		statements: float64(stmts) / float64(served),
		detail:     detail,
		bytes:      float64(nums[8]) / float64(responses),
		failed:     nums[4] + nums[7],
		timeouts:   nums[5],
	}, nil
}

// drain waits until the server and its database backends have used no CPU
// for 300 ms (at most 5 s): the requests in flight when wrk stopped are done.
func (r *runner) drain(pid int, role string) error {
	db, err := r.backendTicks(role)
	if err != nil {
		return err
	}
	var backends []int
	for p := range db {
		backends = append(backends, p)
	}
	total := func() int64 {
		var n int64
		for _, m := range []map[int]int64{cpuTicks(processTree(pid)), cpuTicks(backends)} {
			for _, t := range m {
				n += t
			}
		}
		return n
	}
	last, still := total(), 0
	for deadline := time.Now().Add(5 * time.Second); still < 3 && time.Now().Before(deadline); {
		time.Sleep(100 * time.Millisecond)
		if now := total(); now == last {
			still++
		} else {
			last, still = now, 0
		}
	}
	return nil
}

// processTree is pid and all its descendants (PostGraphile's cluster
// workers are children of its master).
func processTree(pid int) []int {
	parent := map[int][]int{}
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		p, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if f, ok := statFields(p); ok {
			ppid, _ := strconv.Atoi(f[1])
			parent[ppid] = append(parent[ppid], p)
		}
	}
	tree := []int{pid}
	for i := 0; i < len(tree); i++ {
		tree = append(tree, parent[tree[i]]...)
	}
	return tree
}

// statFields are the fields of /proc/<pid>/stat after the command name:
// [0] state, [1] ppid, ..., [11] utime, [12] stime.
func statFields(pid int) ([]string, bool) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return nil, false
	}
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return nil, false
	}
	f := strings.Fields(string(b[i+1:]))
	return f, len(f) > 12
}

// cpuTicks is utime+stime of each process, in clock ticks.
func cpuTicks(pids []int) map[int]int64 {
	m := map[int]int64{}
	for _, p := range pids {
		if f, ok := statFields(p); ok {
			u, _ := strconv.ParseInt(f[11], 10, 64)
			s, _ := strconv.ParseInt(f[12], 10, 64)
			m[p] = u + s
		}
	}
	return m
}

// delta sums the CPU used between two readings; a process that appeared in
// between counts from zero.
func delta(before, after map[int]int64) int64 {
	var d int64
	for p, t := range after {
		d += t - before[p]
	}
	return d
}

// backendTicks reads the CPU of every PostgreSQL backend of role.
func (r *runner) backendTicks(role string) (map[int]int64, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	rows, err := r.db.QueryContext(ctx, "SELECT pid FROM pg_stat_activity WHERE usename = $1", role)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var pids []int
	for rows.Next() {
		var p int
		if err := rows.Scan(&p); err != nil {
			return nil, err
		}
		pids = append(pids, p)
	}
	return cpuTicks(pids), rows.Err()
}

// statements is how many statements role has run (pg_stat_statements,
// utility statements such as BEGIN included), by query text in
// pg_stat_statements' normalised form.
func (r *runner) statements(role string) (map[string]int64, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	rows, err := r.db.QueryContext(ctx, `SELECT s.query, sum(s.calls)::bigint
		FROM stats.pg_stat_statements s JOIN pg_roles r ON r.oid = s.userid WHERE r.rolname = $1
		GROUP BY s.query`, role)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	m := map[string]int64{}
	for rows.Next() {
		var q string
		var n int64
		if err := rows.Scan(&q, &n); err != nil {
			return nil, err
		}
		m[q] = n
	}
	return m, rows.Err()
}

// statementDelta is the number of statements run between two readings and,
// per statement, a line "calls per request  query" (most frequent first).
func statementDelta(before, after map[string]int64, requests int64) (int64, []string) {
	type stmt struct {
		query string
		calls int64
	}
	var total int64
	var list []stmt
	for q, n := range after {
		if d := n - before[q]; d > 0 {
			total += d
			list = append(list, stmt{q, d})
		}
	}
	sort.Slice(list, func(i, j int) bool { return list[i].calls > list[j].calls })
	var lines []string
	for _, st := range list {
		q := strings.Join(strings.Fields(st.query), " ")
		if len(q) > 140 {
			q = q[:140] + "…"
		}
		lines = append(lines, fmt.Sprintf("%8.3f/req  %s", float64(st.calls)/float64(requests), q))
	}
	return total, lines
}

func groupNames(shapes []*shape) []string {
	var names []string
	for _, s := range shapes {
		if !slices.Contains(names, s.name) {
			names = append(names, s.name)
		}
	}
	return names
}

func loadavg() string {
	b, _ := os.ReadFile("/proc/loadavg")
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "load unknown"
	}
	return "load average " + strings.Join(f[:3], " ")
}

func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// legacyBase is the GraphQL shape each legacy route runs, for the ratio
// column (issue 13: the legacy feed within 10 % of the GraphQL feed).
var legacyBase = map[string]string{"legacy-feed": "feed-20", "legacy-profile": "profile"}

// printTable prints medians over the rounds (req/s with its range) as a
// Markdown table. The ratio is our req/s over PostGraphile's, or on a
// legacy row over our GraphQL shape's.
func printTable(groups []string, results []result, rounds int) {
	fmt.Printf("\n== medians of %d round(s); CPU and SQL per request; bytes = response body\n\n", rounds)
	fmt.Println("| shape | server | req/s (min–max) | ratio | p50 ms | p99 ms | server CPU ms | DB CPU ms | SQL stmts | bytes | failed | timeouts |")
	fmt.Println("|---|---|---|---|---|---|---|---|---|---|---|---|")
	runs := func(shape, srv string) []result {
		var rs []result
		for _, r := range results {
			if r.shape == shape && r.server == srv {
				rs = append(rs, r)
			}
		}
		return rs
	}
	med := func(rs []result, f func(result) float64) float64 {
		var xs []float64
		for _, r := range rs {
			xs = append(xs, f(r))
		}
		return median(xs)
	}
	rps := func(r result) float64 { return r.rps }
	for _, g := range groups {
		for _, srv := range []string{ours, theirs} {
			rs := runs(g, srv)
			if len(rs) == 0 {
				continue
			}
			ratio := "—"
			if other := runs(g, theirs); srv == ours && len(other) > 0 {
				ratio = fmt.Sprintf("%.2f×", med(rs, rps)/med(other, rps))
			} else if base := runs(legacyBase[g], ours); len(base) > 0 {
				ratio = fmt.Sprintf("%.2f× %s", med(rs, rps)/med(base, rps), legacyBase[g])
			}
			var failed, timeouts int64
			lo, hi := rs[0].rps, rs[0].rps
			for _, r := range rs {
				failed += r.failed
				timeouts += r.timeouts
				lo, hi = min(lo, r.rps), max(hi, r.rps)
			}
			fmt.Printf("| %s | %s | %.0f (%.0f–%.0f) | %s | %.2f | %.2f | %.2f | %.2f | %.2f | %.0f | %d | %d |\n",
				g, srv, med(rs, rps), lo, hi, ratio,
				med(rs, func(r result) float64 { return r.p50 }),
				med(rs, func(r result) float64 { return r.p99 }),
				med(rs, func(r result) float64 { return r.serverCPU }),
				med(rs, func(r result) float64 { return r.dbCPU }),
				med(rs, func(r result) float64 { return r.statements }),
				med(rs, func(r result) float64 { return r.bytes }),
				failed, timeouts)
		}
	}
}
