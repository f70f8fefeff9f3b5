#!/usr/bin/env bash
# Load test of the GraphQL room feed: roomFeed(first: 20) with every room's
# club, creator and connected members (room_feed.lua), with wrk.
#
#   DATABASE_URL=postgres://… .ci/load/room_feed.sh        # builds and starts the binary
#   BASE=http://host:port DATABASE_URL=postgres://… .ci/load/room_feed.sh   # a running server
#
# It seeds 8 users, 3 clubs and 40 rooms (20 club rooms, 20 public) through
# the GraphQL API, then marks 7 users as connected to every room
# (room_presences rows, as the live service would) with psql when
# DATABASE_URL is a PostgreSQL URL, and runs wrk as one of the users.
# A running server (BASE) must let the seed numbers log in with 8888:
# CHAOQER_WHITE_MOBILES=$(.ci/load/room_feed.sh mobiles).
#
# Settings: THREADS (2), CONNECTIONS (16), DURATION (10s), RUNS (1),
# FEED (full or card: which fields the query selects, see room_feed.lua),
# MOBILE_BASE (13900000000; change it to seed again on the same database),
# PORT (18198, for the server this script starts), GOGC (passed on to it).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
MOBILE_BASE=${MOBILE_BASE:-13900000000}
mobiles() { for i in 0 1 2 3 4 5 6 7; do printf '%s%s' "$([ $i -gt 0 ] && echo ,)" $((MOBILE_BASE + i)); done; echo; }
if [ "${1:-}" = mobiles ]; then mobiles; exit 0; fi

THREADS=${THREADS:-2} CONNECTIONS=${CONNECTIONS:-16} DURATION=${DURATION:-10s} RUNS=${RUNS:-1}
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
WORK=$(mktemp -d /tmp/room-feed-load.XXXXXX)
PID=
trap '[ -n "$PID" ] && kill "$PID" 2>/dev/null; rm -rf "$WORK"' EXIT

if [ -z "${BASE:-}" ]; then
  PORT=${PORT:-18198}
  BASE=http://127.0.0.1:$PORT
  (cd "$HERE/../.." && go build -o "$WORK/chaoqer" .)
  CHAOQER_ADDR=127.0.0.1:$PORT DATABASE_URL="${DATABASE_URL:-sqlite://$WORK/load.db}" \
    CHAOQER_WHITE_MOBILES="$(mobiles)" CHAOQER_LOG_LEVEL=warn CHAOQER_DEBUG_SQL_COUNT=true "$WORK/chaoqer" >"$WORK/server.log" 2>&1 &
  PID=$!
  for _ in $(seq 100); do curl -fs -o /dev/null "$BASE/playground" && break; sleep 0.1; done
fi

echo "== seeding through $BASE/graphql"
MOBILES=$(mobiles) BASE="$BASE" python3 - "$WORK" <<'PY'
import base64, json, os, sys, urllib.request

base, work = os.environ["BASE"], sys.argv[1]

def gql(query, variables=None, auth=None):
    req = urllib.request.Request(base + "/graphql", json.dumps({"query": query, "variables": variables or {}}).encode(),
                                 {"Content-Type": "application/json"})
    if auth:
        req.add_header("Authorization", auth)
    with urllib.request.urlopen(req, timeout=30) as r:
        body = json.load(r)
    if body.get("errors"):
        raise SystemExit("GraphQL error: %s" % body["errors"])
    return body["data"]

users = []
for i, mobile in enumerate(os.environ["MOBILES"].split(",")):
    c = gql('mutation($m: String) { loginWithCaptcha(input: {countryCode: "86", mobile: $m, captcha: "8888"}) { credentials { uid accessToken } } }',
            {"m": mobile})["loginWithCaptcha"]["credentials"]
    auth = "Basic " + base64.b64encode(("%s:%s" % (c["uid"], c["accessToken"])).encode()).decode()
    gql('mutation($n: String) { initProfile(input: {nickname: $n, avatar: "https://cdn.example.com/avatar.jpg"}) { message } }',
        {"n": "用户%d" % i}, auth)
    users.append({"uid": c["uid"], "auth": auth})
viewer = users[0]
clubs = []
for i in range(3):
    club = gql('mutation($n: String) { createClub(input: {name: $n, cover: "https://cdn.example.com/cover.jpg"}) { club { clubId } } }',
               {"n": "压测圈%d" % i}, viewer["auth"])["createClub"]["club"]["clubId"]
    clubs.append(club)
    for u in users[1:]:
        gql('mutation($c: ID!) { joinClub(clubId: $c) { message } }', {"c": club}, u["auth"])
rooms = []
for i in range(40):
    u = users[i % len(users)]
    club = clubs[i % 3] if i % 2 == 0 else None
    r = gql('mutation($n: String, $c: ID) { createRoom(input: {name: $n, clubId: $c}) { room { roomId } } }',
            {"n": "压测活动%d" % i, "c": club}, u["auth"])["createRoom"]["room"]["roomId"]
    rooms.append(r)
with open(os.path.join(work, "auth"), "w") as f:
    f.write(viewer["auth"])
with open(os.path.join(work, "presence.sql"), "w") as f:
    for r in rooms:
        for j, u in enumerate(users[1:]):
            f.write("INSERT INTO room_presences (room_id, uid, ruid, role, conn_id, instance_id, tool, tool_data, create_time, seen_time) "
                    "VALUES ('%s', '%s', %d, %d, 'load-%d', 'load', '', '', 0, (EXTRACT(EPOCH FROM now()) * 1000)::bigint + 86400000);\n"
                    % (r, u["uid"], j + 1, 2 if j == 0 else j % 2, j))
print("seeded %d users, %d clubs, %d rooms" % (len(users), len(clubs), len(rooms)))
PY

case "${DATABASE_URL:-}" in
  postgres://*|postgresql://*)
    psql -q -v ON_ERROR_STOP=1 "$DATABASE_URL" -f "$WORK/presence.sql"
    echo "marked 7 users connected to every room" ;;
  *) echo "DATABASE_URL is not PostgreSQL: no presence rows (feed items of rooms the viewer did not create have no room)" ;;
esac

export AUTH
AUTH=$(cat "$WORK/auth")
echo "== warm-up"
wrk -t"$THREADS" -c"$CONNECTIONS" -d2s -s "$HERE/room_feed.lua" "$BASE/graphql" >/dev/null
for run in $(seq "$RUNS"); do
  echo "== run $run: wrk -t$THREADS -c$CONNECTIONS -d$DURATION, GraphQL roomFeed(first: 20) ($(uptime | sed 's/.*load/load/'))"
  wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency -s "$HERE/room_feed.lua" "$BASE/graphql"
  if [ -n "$PID" ]; then
    echo "statements per request: $(curl -s -o /dev/null -D - -H "Authorization: $AUTH" -H 'Content-Type: application/json' \
      --data "{\"query\":\"{ roomFeed(first: 20) { edges { node { room { roomId club { name } members { nickname } } } } } }\"}" \
      "$BASE/graphql" | awk -F': ' 'tolower($1)=="x-sql-statements" {print $2}' | tr -d '\r')"
  fi
done
if [ -n "$PID" ]; then
  echo "server peak RSS: $(awk '/VmHWM/ {print $2 " " $3}' /proc/$PID/status)"
fi
