#!/usr/bin/env bash
# Side-by-side benchmark of the chaoqer binary and PostGraphile 4.14.1 on the
# same PostgreSQL data (issue 13). Self-contained: it starts a throwaway
# PostgreSQL 15 cluster with pg_stat_statements, lets the built binary
# migrate an empty database, seeds the issue's data set (main.go seed:
# 2,100 users, 220 clubs with 8,619 memberships, 330 open rooms with 2,936
# connected members, blocks and cards; VACUUMed and ANALYZEd), declares the relations for
# PostGraphile (smart_comments.sql), starts PostGraphile in cluster mode
# with 2 workers, and runs every query shape on both servers in turn with
# wrk (main.go run). It stops everything it started on exit.
#
#   .ci/load/versus/run.sh                        # 3 rounds of wrk -t2 -c16 -d10s, about 10 minutes
#   ROUNDS=1 DURATION=3s .ci/load/versus/run.sh   # a quick check that everything works
#
# Shapes: feed-N and card-N (N = 5, 20, 100) are the GraphQL room feed with
# every field the legacy feed has, or only what a feed card shows
# (../room_feed.lua), and PostGraphile's allRooms equivalent; profile is a
# user by uid with the viewer's relations; legacy-feed (GET /room?count=20)
# and legacy-profile (GET /user/{uid}/profile) are signed legacy calls to
# our binary only.
#
# Per shape and server it prints req/s, p50, p99, server CPU per request
# (utime+stime of the process and its children from /proc, so both
# PostGraphile workers count), database CPU per request (the backends of the
# server's own role), SQL statements per request (pg_stat_statements of that
# role, BEGIN/COMMIT included) and response body bytes; then a Markdown
# table of the medians over the rounds. The counters are read again once
# the servers are idle after wrk stops, and the requests wrk left in flight
# (one per connection) count as requests.
#
# Settings: ROUNDS (3), DURATION (10s), CONNECTIONS (16), THREADS (2),
# WARMUP (5s per shape before round 1, so that Node has compiled its hot
# paths; 0 for none), WRK_TIMEOUT (10s: a slower answer counts as a
# timeout), SHAPES (comma list of feed-5 feed-20 feed-100 card-5 card-20
# card-100 profile legacy-feed legacy-profile; default all), OUT (a TSV
# file for every run), STATEMENTS=1 (list every run's statements per
# request), PGPORT (55440), OURS_PORT (18700), THEIRS_PORT (18701).
# The binary inherits other variables of the caller (GOGC, CHAOQER_*): with
# the default CHAOQER_SESSION_CACHE_TTL of 2s the viewer's session is
# reloaded (2 statements) every 2 seconds, which the SQL column spreads over
# the requests of a run; with the default CHAOQER_PROFILE_CACHE_TTL of 2s the
# card shapes read their creators' and members' profiles once per 2 s
# (CHAOQER_PROFILE_CACHE_TTL=0 measures them without the cache).
# Needs: Go, Node 20 with npm (PostGraphile is installed from
# package-lock.json beside this file on first use), wrk and PostgreSQL 15
# server packages (installed with apt when missing). Run it as root (the
# cluster runs as the postgres user), on a quiet machine for numbers.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../../.." && pwd)
ROUNDS=${ROUNDS:-3} DURATION=${DURATION:-10s} CONNECTIONS=${CONNECTIONS:-16} THREADS=${THREADS:-2}
WARMUP=${WARMUP:-5s} WRK_TIMEOUT=${WRK_TIMEOUT:-10s} SHAPES=${SHAPES:-} OUT=${OUT:-} STATEMENTS=${STATEMENTS:-}
PGPORT=${PGPORT:-55440} OURS_PORT=${OURS_PORT:-18700} THEIRS_PORT=${THEIRS_PORT:-18701}
VIEWER_MOBILE=13700000000 # user 0 of the seeded data (seed.go)
PGL_VERSION=4.14.1

log() { printf '\n== %s (%s)\n' "$*" "$(date +%T)"; }
PGBIN= PGROOT= WORK= OURS= THEIRS= DRIVER=
cleanup() {
  if [ -n "$DRIVER" ]; then
    # The driver and its wrk.
    kill $(pgrep -P "$DRIVER" || true) "$DRIVER" 2>/dev/null || true
  fi
  if [ -n "$THEIRS" ]; then
    # The master and its cluster workers.
    kill $(pgrep -P "$THEIRS" || true) "$THEIRS" 2>/dev/null || true
  fi
  if [ -n "$OURS" ]; then kill "$OURS" 2>/dev/null || true; fi
  wait 2>/dev/null || true
  if [ -n "$PGROOT" ]; then
    runuser -u postgres -- "$PGBIN/pg_ctl" -D "$PGROOT/data" -m fast -w stop >/dev/null 2>&1 || true
    rm -rf "$PGROOT"
  fi
  if [ -n "$WORK" ]; then rm -rf "$WORK"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

log "tools"
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
command -v node >/dev/null && command -v npm >/dev/null || { echo "needs Node 20 and npm" >&2; exit 1; }
if ! ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postgresql >/dev/null
fi
PGBIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
for port in "$OURS_PORT" "$THEIRS_PORT"; do
  if curl -s -o /dev/null "http://127.0.0.1:$port/"; then echo "port $port is in use" >&2; exit 1; fi
done
if "$PGBIN/pg_isready" -q -h 127.0.0.1 -p "$PGPORT"; then echo "port $PGPORT is in use" >&2; exit 1; fi
PGL=$HERE/node_modules/.bin/postgraphile
if [ ! -x "$PGL" ] || [ "$(node -p "require('$HERE/node_modules/postgraphile/package.json').version")" != "$PGL_VERSION" ]; then
  (cd "$HERE" && npm ci --no-audit --no-fund --loglevel=error)
fi
WORK=$(mktemp -d /tmp/versus.XXXXXX)
(cd "$ROOT" && go build -o "$WORK/chaoqer" . && go build -o "$WORK/versus" ./.ci/load/versus)

log "PostgreSQL on port $PGPORT"
PGROOT=$(mktemp -d /tmp/versus-pg.XXXXXX)
chown postgres:postgres "$PGROOT"
runuser -u postgres -- "$PGBIN/initdb" -D "$PGROOT/data" -U postgres -A trust -E UTF8 --no-sync >/dev/null
runuser -u postgres -- "$PGBIN/pg_ctl" -D "$PGROOT/data" -l "$PGROOT/log" -w -t 30 -o "-p $PGPORT -k $PGROOT \
  -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200 \
  -c shared_preload_libraries=pg_stat_statements -c pg_stat_statements.track=top" start >/dev/null
ADMIN="postgres://postgres@127.0.0.1:$PGPORT/versus?sslmode=disable"
# One role per server, so backends and statements can be told apart.
psql -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PGPORT" -U postgres postgres \
  -c "CREATE ROLE bench_ours LOGIN SUPERUSER" -c "CREATE ROLE bench_theirs LOGIN SUPERUSER" \
  -c "CREATE DATABASE versus OWNER bench_ours"

log "chaoqer migrates the empty database"
# The legacy shapes replay one signed URL, which the replay check (on by
# default outside development mode) would refuse: CHAOQER_SIGN_MAX_SKEW=0.
(cd "$WORK" && CHAOQER_ADDR=127.0.0.1:$OURS_PORT \
  DATABASE_URL="postgres://bench_ours@127.0.0.1:$PGPORT/versus?sslmode=disable" \
  CHAOQER_SIGN_MAX_SKEW="${CHAOQER_SIGN_MAX_SKEW:-0}" \
  CHAOQER_WHITE_MOBILES=$VIEWER_MOBILE CHAOQER_LOG_LEVEL=warn exec ./chaoqer >"$WORK/chaoqer.log" 2>&1) &
OURS=$!
for _ in $(seq 300); do
  curl -fs -o /dev/null "http://127.0.0.1:$OURS_PORT/playground" && break
  kill -0 "$OURS" 2>/dev/null || break
  sleep 0.2
done
curl -fs -o /dev/null "http://127.0.0.1:$OURS_PORT/playground" || { tail -20 "$WORK/chaoqer.log"; exit 1; }

log "seed, smart comments, pg_stat_statements"
"$WORK/versus" seed -db "$ADMIN"
psql -q -v ON_ERROR_STOP=1 "$ADMIN" -f "$HERE/smart_comments.sql" \
  -c "CREATE SCHEMA stats" -c "CREATE EXTENSION pg_stat_statements SCHEMA stats"

log "PostGraphile $PGL_VERSION, 2 cluster workers"
NODE_ENV=production "$PGL" -c "postgres://bench_theirs@127.0.0.1:$PGPORT/versus" -s public \
  -n 127.0.0.1 -p "$THEIRS_PORT" --cluster-workers 2 --disable-query-log >"$WORK/postgraphile.log" 2>&1 &
THEIRS=$!
ready() { curl -fs -o /dev/null -H 'Content-Type: application/json' --data '{"query":"{__typename}"}' "http://127.0.0.1:$THEIRS_PORT/graphql"; }
for _ in $(seq 300); do ready && break; kill -0 "$THEIRS" 2>/dev/null || break; sleep 0.2; done
ready || { tail -20 "$WORK/postgraphile.log"; exit 1; }

log "benchmark"
echo "chaoqer $(git -C "$ROOT" rev-parse --short HEAD)$(git -C "$ROOT" diff --quiet HEAD -- . ':!.ci' || echo ' (modified)'), $(go version | cut -d' ' -f3)," \
  "PostGraphile $PGL_VERSION on Node $(node --version), PostgreSQL $("$PGBIN/postgres" --version | cut -d' ' -f3), $(nproc) cores, wrk $(wrk --version 2>&1 | head -1 | cut -d' ' -f2)"
"$WORK/versus" run -ours "http://127.0.0.1:$OURS_PORT" -theirs "http://127.0.0.1:$THEIRS_PORT/graphql" -db "$ADMIN" \
  -ours-pid "$OURS" -theirs-pid "$THEIRS" -rounds "$ROUNDS" -duration "$DURATION" -connections "$CONNECTIONS" \
  -threads "$THREADS" -warmup "$WARMUP" -timeout "$WRK_TIMEOUT" -lua "$HERE/versus.lua" -work "$WORK" -clk-tck "$(getconf CLK_TCK)" \
  ${SHAPES:+-shapes "$SHAPES"} ${OUT:+-out "$OUT"} ${STATEMENTS:+-statements} &
# In the background so that a signal reaches the trap at once.
DRIVER=$!
status=0
wait "$DRIVER" || status=$?
DRIVER=
exit "$status"
