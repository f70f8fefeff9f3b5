#!/usr/bin/env bash
# Load test of GET /user/{uid}/profile (signed, authenticated) against the
# built binary, with wrk. Usage:
#   DATABASE_URL=postgres://… .ci/load/profile.sh [runs] [connections] [seconds]
# Without DATABASE_URL it uses a fresh SQLite file. Prints wrk's report per run
# (requests/s, latency percentiles), the server's CPU time per request and
# its peak RSS.
set -euo pipefail
cd "$(dirname "$0")/../.."
RUNS=${1:-3}; CONNS=${2:-32}; SECS=${3:-10}
SHARED=${SHARED:-$PWD/../shared}
PORT=${PORT:-18199}
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
WORK=$(mktemp -d /tmp/load-profile.XXXXXX)
trap 'kill $PID 2>/dev/null || true; rm -rf "$WORK"' EXIT
go build -o "$WORK/chaoqer" .
WHITE=$(python3 -c 'import sys; sys.path.insert(0, sys.argv[1]); import chaoqer; print(",".join(chaoqer.WHITE_MOBILES))' "$SHARED/conformance")
# One signed URL serves every request, so the ts window and replay check (on
# by default outside development mode) are off here: CHAOQER_SIGN_MAX_SKEW=0.
CHAOQER_ADDR=127.0.0.1:$PORT DATABASE_URL="${DATABASE_URL:-sqlite://$WORK/load.db}" CHAOQER_WHITE_MOBILES="$WHITE" \
  CHAOQER_SIGN_MAX_SKEW=0 CHAOQER_LOG_LEVEL=warn "$WORK/chaoqer" >"$WORK/server.log" 2>&1 &
PID=$!
for _ in $(seq 100); do curl -fs -o /dev/null "http://127.0.0.1:$PORT/playground" && break; sleep 0.1; done
# Two users; the first reads the second's profile with one signed URL.
read -r URL AUTH < <(python3 - "$SHARED/conformance" "http://127.0.0.1:$PORT" <<'PY'
import sys, time, urllib.parse, base64
sys.path.insert(0, sys.argv[1])
import chaoqer
base = sys.argv[2]
a = chaoqer.onboard(base, chaoqer.WHITE_MOBILES[38], "LoadA")
b = chaoqer.onboard(base, chaoqer.WHITE_MOBILES[39], "LoadB")
p = {"ts": int(time.time() * 1000)}
p["sign"] = chaoqer.sign(p, a.secret)
url = "%s/user/%s/profile?%s" % (base, b.uid, urllib.parse.urlencode(p))
auth = base64.b64encode(("%s:%s" % (a.uid, a.token)).encode()).decode()
print(url, auth)
PY
)
curl -fs -H "Authorization: Basic $AUTH" "$URL" | head -c 200; echo
# The server's CPU time (user + system, in clock ticks) from /proc.
cpu() { awk '{print $14 + $15}' "/proc/$PID/stat"; }
for i in $(seq "$RUNS"); do
  echo "--- run $i: wrk -t2 -c$CONNS -d${SECS}s --latency"
  before=$(cpu)
  out=$(wrk -t2 -c"$CONNS" -d"${SECS}s" --latency -H "Authorization: Basic $AUTH" -H "Client-Type: 1" -H "Version-Code: 100" "$URL")
  after=$(cpu)
  echo "$out" | grep -E "Requests/sec|Latency|50%|90%|99%|Non-2xx|Socket errors"
  # CPU per request is steadier than requests/s on a shared machine: it
  # does not count the time the server waited for a core.
  echo "$out" | awk -v d=$((after - before)) -v hz="$(getconf CLK_TCK)" \
    '/requests in/ {printf "Server CPU per request: %.1f us\n", d / hz * 1e6 / $1}'
done
echo "server peak RSS: $(grep VmHWM /proc/$PID/status | awk '{print $2/1024 " MB"}'), now: $(grep VmRSS /proc/$PID/status | awk '{print $2/1024 " MB"}')"
