#!/usr/bin/env bash
# Room WebSocket load test: builds the server, starts it on a fresh SQLite
# file (or on DATABASE_URL), and runs main.go beside this file against it.
#   .ci/load/roomws/run.sh [conns] [rooms] [seconds]
set -euo pipefail
cd "$(dirname "$0")/../../.."
CONNS=${1:-1000}; ROOMS=${2:-50}; SECS=${3:-30}
PORT=${PORT:-18102}
WORK=$(mktemp -d /tmp/load-roomws.XXXXXX)
trap 'kill $PID 2>/dev/null || true; rm -rf "$WORK"' EXIT
go build -o "$WORK/chaoqer" .
go build -o "$WORK/roomws" ./.ci/load/roomws
WHITE=$(seq -s, 13900000000 $((13900000000 + CONNS - 1)))
DB=${DATABASE_URL:-sqlite://$WORK/load.db}
ulimit -n 65536 2>/dev/null || true
CHAOQER_ADDR=127.0.0.1:$PORT DATABASE_URL="$DB" CHAOQER_WHITE_MOBILES="$WHITE" \
  CHAOQER_LOG_LEVEL=warn "$WORK/chaoqer" >"$WORK/server.log" 2>&1 &
PID=$!
for _ in $(seq 100); do curl -fs -o /dev/null "http://127.0.0.1:$PORT/playground" && break; sleep 0.1; done
"$WORK/roomws" -base "http://127.0.0.1:$PORT" -db "$DB" -conns "$CONNS" -rooms "$ROOMS" -duration "${SECS}s" -pid "$PID"
tail -5 "$WORK/server.log"
