#!/usr/bin/env bash
# Load test of the GraphQL room feed (20 rooms with club, creator and members).
#
# Seeds 8 users, 3 clubs and 40 rooms (20 club rooms, 20 public) through the
# GraphQL API of a running server, marks users as connected to every room
# (room_presences rows, as the WebSocket hub would) when DATABASE_URL is a
# PostgreSQL URL, then runs wrk with room_feed.lua as one of the users.
#
#   # the server must let the seed numbers log in with 8888:
#   CHAOQER_WHITE_MOBILES=$(.ci/load/room_feed.sh mobiles) DATABASE_URL=postgres://… ./chaoqer &
#   BASE=http://127.0.0.1:8080 DATABASE_URL=postgres://… .ci/load/room_feed.sh
#
# Settings: BASE (http://127.0.0.1:8080), DATABASE_URL (for presence; without
# it only the viewer's own empty rooms show in full), THREADS (2),
# CONNECTIONS (16), DURATION (10s), MOBILE_BASE (13900000000; use another one
# to seed again on the same database).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
MOBILE_BASE=${MOBILE_BASE:-13900000000}
mobiles() { for i in 0 1 2 3 4 5 6 7; do printf '%s%s' "$([ $i -gt 0 ] && echo ,)" $((MOBILE_BASE + i)); done; echo; }
if [ "${1:-}" = mobiles ]; then mobiles; exit 0; fi

BASE=${BASE:-http://127.0.0.1:8080}
THREADS=${THREADS:-2} CONNECTIONS=${CONNECTIONS:-16} DURATION=${DURATION:-10s}
WORK=$(mktemp -d /tmp/room-feed-load.XXXXXX)
trap 'rm -rf "$WORK"' EXIT

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
                    "VALUES ('%s', '%s', %d, %d, 'load-%d', 'load', '', '', 0, 0);\n" % (r, u["uid"], j + 1, 2 if j == 0 else j % 2, j))
print("seeded %d users, %d clubs, %d rooms" % (len(users), len(clubs), len(rooms)))
PY

case "${DATABASE_URL:-}" in
  postgres://*|postgresql://*)
    psql -q -v ON_ERROR_STOP=1 "$DATABASE_URL" -f "$WORK/presence.sql"
    echo "marked 7 users connected to every room" ;;
  *) echo "DATABASE_URL is not PostgreSQL: no presence rows (most feed items will have no room)" ;;
esac

export AUTH
AUTH=$(cat "$WORK/auth")
echo "== warm-up"
wrk -t"$THREADS" -c"$CONNECTIONS" -d2s -s "$HERE/room_feed.lua" "$BASE/graphql" >/dev/null
echo "== wrk -t$THREADS -c$CONNECTIONS -d$DURATION (GraphQL roomFeed(first: 20))"
wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency -s "$HERE/room_feed.lua" "$BASE/graphql"
