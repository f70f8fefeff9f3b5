#!/usr/bin/env bash
# What the production edge and the observability cost: the legacy profile GET
# (profile.sh) and the GraphQL room feed (room_feed.sh) on the same binary,
# alternating variants that differ only in their environment, ROUNDS times.
#
#   DATABASE_URL=postgres://… .ci/load/edge_cost.sh            # 3 rounds of 10 s
#   ROUNDS=5 SECONDS_PER_RUN=15 .ci/load/edge_cost.sh
#
# Variants:
#   unprotected  operation limits, deadlines and rate limits off, the body
#                limit at its built-in ceiling (16 MiB)
#   protected    the defaults, with loopback not exempt from rate limiting
#                (buckets large enough never to refuse), so every request
#                pays for the buckets too
#   otlp10       protected, plus traces exported over OTLP/HTTP to a local
#                sink with 10 % sampling
# Prints each run's requests/s (and, for the profile, the server's CPU time
# per request) and, per variant and load, the medians.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROUNDS=${ROUNDS:-3}
SECS=${SECONDS_PER_RUN:-10}
OUT=$(mktemp /tmp/edge-cost.XXXXXX)
SINK_PID=
trap '[ -n "$SINK_PID" ] && kill "$SINK_PID" 2>/dev/null; rm -f "$OUT"' EXIT

# An OTLP/HTTP sink on loopback that accepts and drops every export.
SINK_PORT=${SINK_PORT:-18317}
python3 -c '
import http.server, sys
class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.send_response(200); self.send_header("Content-Type", "application/x-protobuf")
        self.send_header("Content-Length", "0"); self.end_headers()
    def log_message(self, *a): pass
http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
' "$SINK_PORT" &
SINK_PID=$!

unprotected=(CHAOQER_GRAPHQL_MAX_TOKENS=0 CHAOQER_GRAPHQL_MAX_DEPTH=0 CHAOQER_GRAPHQL_MAX_SELECTIONS=0
  CHAOQER_GRAPHQL_MAX_COST=0 CHAOQER_MAX_BODY_BYTES=0 CHAOQER_READ_TIMEOUT=0 CHAOQER_WRITE_TIMEOUT=0
  CHAOQER_OPERATION_TIMEOUT=0 CHAOQER_RATE_PER_ADDR=0 CHAOQER_RATE_PER_UID=0)
protected=(CHAOQER_RATE_EXEMPT= CHAOQER_RATE_PER_ADDR=1000000,1000000 CHAOQER_RATE_PER_UID=1000000,1000000)
otlp10=("${protected[@]}" OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:$SINK_PORT
  OTEL_TRACES_SAMPLER=parentbased_traceidratio OTEL_TRACES_SAMPLER_ARG=0.1)

run() { # variant load
  local -n vars=$1
  local rps cpu=-
  if [ "$2" = profile ]; then
    local out
    out=$(env "${vars[@]}" "$HERE/profile.sh" 1 32 "$SECS")
    rps=$(echo "$out" | awk '/Requests\/sec/ {print $2}')
    cpu=$(echo "$out" | awk '/Server CPU per request/ {print $5}')
  else
    rps=$(env "${vars[@]}" DURATION="${SECS}s" "$HERE/room_feed.sh" | awk '/Requests\/sec/ {print $2}')
  fi
  echo "$1 $2 $rps $cpu" | tee -a "$OUT"
}

for r in $(seq "$ROUNDS"); do
  echo "--- round $r"
  for load in profile feed; do
    # Alternate which variant goes first.
    if [ $((r % 2)) -eq 1 ]; then order=(unprotected protected otlp10); else order=(otlp10 protected unprotected); fi
    for v in "${order[@]}"; do run "$v" "$load"; done
  done
done

median() { # column label: the median, min and max of column $1 for variant and load
  sort -n | awk -v what="$1" '{a[NR] = $1} END {printf "%s median %s (min %s, max %s, n %d)", what, a[int((NR + 1) / 2)], a[1], a[NR], NR}'
}
echo "--- medians"
for load in profile feed; do
  for v in unprotected protected otlp10; do
    printf '%-8s %-12s ' "$load" "$v"
    awk -v v="$v" -v l="$load" '$1 == v && $2 == l {print $3}' "$OUT" | median "req/s"
    if [ "$load" = profile ]; then
      printf '; '
      awk -v v="$v" -v l="$load" '$1 == v && $2 == l {print $4}' "$OUT" | median "server CPU us/req"
    fi
    echo
  done
done
