// Command roomws is a load test of live rooms: it logs many users in through
// the legacy REST API, creates rooms in the server's database, opens one
// legacy room WebSocket per user (spread over the rooms), has one member of
// every room chat at a fixed rate, and measures broadcast fan-out latency
// (sender timestamp → receipt by every member) and the server's memory.
//
//	go run ./.ci/load/roomws -base http://127.0.0.1:18102 -db "$DATABASE_URL" -pid $PID
//
// The server must whitelist the mobiles 13900000000… (CHAOQER_WHITE_MOBILES);
// see run.sh beside this file.
package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"net/http"
	"os"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"

	"chaoqer/app"
	"chaoqer/ent/entdb"
	"chaoqer/graph/ids"
	"chaoqer/rest"
)

type user struct{ uid, token, secret string }

func main() {
	base := flag.String("base", "http://127.0.0.1:18102", "server base URL")
	dbURL := flag.String("db", os.Getenv("DATABASE_URL"), "the server's DATABASE_URL (rooms are inserted directly)")
	nConns := flag.Int("conns", 1000, "connections (one user each)")
	nRooms := flag.Int("rooms", 50, "rooms")
	every := flag.Duration("every", 200*time.Millisecond, "chat interval per room")
	dur := flag.Duration("duration", 30*time.Second, "measuring time")
	pid := flag.Int("pid", 0, "server pid (for VmRSS/VmHWM)")
	mobile0 := flag.Int64("mobile", 13900000000, "first whitelisted mobile")
	flag.Parse()

	start := time.Now()
	users := make([]user, *nConns)
	parallel(*nConns, 16, func(i int) { users[i] = onboard(*base, fmt.Sprint(*mobile0+int64(i)), i) })
	log.Printf("%d users ready in %v", len(users), time.Since(start).Round(time.Millisecond))

	rooms := createRooms(*dbURL, users, *nRooms)
	log.Printf("%d rooms created", len(rooms))

	ws := "ws" + strings.TrimPrefix(*base, "http") + "/room-ws/"
	lat := &latencies{}
	var delivered atomic.Int64
	conns := make([]*websocket.Conn, *nConns)
	start = time.Now()
	// Creators first, so that each room has its host.
	order := make([]int, 0, *nConns)
	for i := 0; i < *nConns; i++ {
		if i%(*nConns / *nRooms) == 0 {
			order = append(order, i)
		}
	}
	for i := 0; i < *nConns; i++ {
		if i%(*nConns / *nRooms) != 0 {
			order = append(order, i)
		}
	}
	parallel(len(order), 32, func(k int) {
		i := order[k]
		room := rooms[i*(*nRooms) / *nConns]
		conns[i] = connect(ws+room, users[i], lat, &delivered)
	})
	log.Printf("%d connections open in %v; RSS %s", *nConns, time.Since(start).Round(time.Millisecond), rss(*pid))

	// Let join traffic settle, then measure.
	time.Sleep(2 * time.Second)
	lat.reset()
	delivered.Store(0)
	ctx, cancel := context.WithTimeout(context.Background(), *dur)
	defer cancel()
	var sent atomic.Int64
	var wg sync.WaitGroup
	per := *nConns / *nRooms
	for r := 0; r < *nRooms; r++ {
		wg.Add(1)
		go func(r int) {
			defer wg.Done()
			// Stagger rooms over the interval.
			time.Sleep(time.Duration(r) * *every / time.Duration(*nRooms))
			tick := time.NewTicker(*every)
			defer tick.Stop()
			for n := 0; ; n++ {
				select {
				case <-ctx.Done():
					return
				case <-tick.C:
				}
				i := r*per + 1 + n%(per-1) // a member of room r (rotating)
				msg := fmt.Sprintf(`{"event":"chat","sender":"%s","data":{"ts":%d,"text":"load"}}`, users[i].uid, time.Now().UnixNano())
				if err := conns[i].Write(ctx, websocket.MessageText, []byte(msg)); err == nil {
					sent.Add(1)
				}
			}
		}(r)
	}
	peak := ""
	go func() {
		<-time.After(*dur / 2)
		peak = rss(*pid)
	}()
	wg.Wait()
	time.Sleep(time.Second) // late deliveries
	p50, p99, max, n := lat.summary()
	fmt.Printf("conns=%d rooms=%d chats=%d deliveries=%d (expected %d)\n", *nConns, *nRooms, sent.Load(), n, sent.Load()*int64(per))
	fmt.Printf("fan-out latency p50=%v p99=%v max=%v\n", p50, p99, max)
	fmt.Printf("server memory mid-run: %s; end: %s\n", peak, rss(*pid))
	for _, c := range conns {
		if c != nil {
			c.Close(websocket.StatusNormalClosure, "")
		}
	}
}

func parallel(n, workers int, fn func(i int)) {
	next := make(chan int)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				fn(i)
			}
		}()
	}
	for i := 0; i < n; i++ {
		next <- i
	}
	close(next)
	wg.Wait()
}

// call makes a signed legacy POST and returns the result.
func call(base, path string, u *user, params map[string]any) map[string]any {
	params["ts"] = time.Now().UnixMilli()
	secret := app.DefaultSecret
	if u != nil {
		secret = u.secret
	}
	norm := map[string]any{}
	b, _ := json.Marshal(params)
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	_ = dec.Decode(&norm)
	params["sign"] = rest.Sign(norm, secret)
	b, _ = json.Marshal(params)
	req, _ := http.NewRequest("POST", base+path, bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Client-Type", "1")
	req.Header.Set("Version-Code", "100")
	if u != nil {
		req.Header.Set("Authorization", basic(*u))
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		log.Fatalf("%s: %v", path, err)
	}
	defer resp.Body.Close()
	var env struct {
		Status  int
		Message string
		Result  map[string]any
	}
	if err := json.NewDecoder(resp.Body).Decode(&env); err != nil || env.Status != 1 {
		log.Fatalf("%s: HTTP %d %s %v", path, resp.StatusCode, env.Message, err)
	}
	return env.Result
}

func basic(u user) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(u.uid+":"+u.token))
}

func onboard(base, mobile string, i int) user {
	r := call(base, "/account/login/captcha", nil, map[string]any{"countryCode": "86", "mobile": mobile, "captcha": "8888"})
	u := user{uid: r["uid"].(string), token: r["accessToken"].(string), secret: r["accessSecret"].(string)}
	call(base, "/user/profile/init", &u, map[string]any{"nickname": fmt.Sprintf("load%d", i), "avatar": "https://cdn.example.com/a.jpg"})
	return u
}

func createRooms(dbURL string, users []user, n int) []string {
	db, err := entdb.Open(context.Background(), dbURL)
	if err != nil {
		log.Fatalf("database: %v", err)
	}
	defer db.Close()
	per := len(users) / n
	out := make([]string, n)
	for r := range out {
		id, now := ids.New(), time.Now().UnixMilli()
		db.Client.Room.Create().SetID(id).SetUID(users[r*per].uid).SetName(fmt.Sprintf("load %d", r)).
			SetCreateTime(now).SetSequenceID(ids.Seq(now, id)).SaveX(context.Background())
		out[r] = id
	}
	return out
}

func connect(url string, u user, lat *latencies, delivered *atomic.Int64) *websocket.Conn {
	h := http.Header{}
	h.Set("Authorization", basic(u))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, _, err := websocket.Dial(ctx, url, &websocket.DialOptions{HTTPHeader: h})
	if err != nil {
		log.Fatalf("dial: %v", err)
	}
	c.SetReadLimit(1 << 20)
	go func() {
		hb := fmt.Sprintf(`{"event":"heartbeat","sender":"%s"}`, u.uid)
		t := time.NewTicker(30 * time.Second)
		defer t.Stop()
		for range t.C {
			if c.Write(context.Background(), websocket.MessageText, []byte(hb)) != nil {
				return
			}
		}
	}()
	go func() {
		for {
			_, b, err := c.Read(context.Background())
			if err != nil {
				return
			}
			if !bytes.Contains(b, []byte(`"event":"chat"`)) {
				continue
			}
			var m struct {
				Data struct{ TS int64 }
			}
			if json.Unmarshal(b, &m) == nil && m.Data.TS > 0 {
				lat.add(time.Since(time.Unix(0, m.Data.TS)))
				delivered.Add(1)
			}
		}
	}()
	return c
}

type latencies struct {
	mu sync.Mutex
	d  []time.Duration
}

func (l *latencies) add(d time.Duration) { l.mu.Lock(); l.d = append(l.d, d); l.mu.Unlock() }
func (l *latencies) reset()              { l.mu.Lock(); l.d = nil; l.mu.Unlock() }

func (l *latencies) summary() (p50, p99, max time.Duration, n int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.d) == 0 {
		return
	}
	sort.Slice(l.d, func(i, j int) bool { return l.d[i] < l.d[j] })
	at := func(q float64) time.Duration { return l.d[int(q*float64(len(l.d)-1))] }
	return at(0.5), at(0.99), l.d[len(l.d)-1], len(l.d)
}

// rss reads the server's resident and peak memory.
func rss(pid int) string {
	if pid == 0 {
		return "n/a (no -pid)"
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return err.Error()
	}
	var out []string
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "VmRSS:") || strings.HasPrefix(line, "VmHWM:") {
			out = append(out, strings.Join(strings.Fields(line), " "))
		}
	}
	return strings.Join(out, ", ")
}
