-- wrk script of the side-by-side benchmark (run.sh / `versus run` set it up).
-- Environment:
--   VERSUS_BODY  file with the POST body (GraphQL); unset for a GET
--   VERSUS_AUTH  Authorization header value (may be empty)
--   VERSUS_KIND  gql: a clean answer is HTTP 200 without "errors";
--                rest: HTTP 200 with the legacy envelope's "status":1
-- It prints one line that `versus run` parses:
--   versus requests=N duration_us=N p50_us=N p99_us=N socket_errors=N timeouts=N responses=N failed=N body_bytes=N

local kind = os.getenv("VERSUS_KIND") or "gql"
local body_file = os.getenv("VERSUS_BODY") or ""
if body_file ~= "" then
  local f = assert(io.open(body_file, "rb"))
  wrk.method = "POST"
  wrk.body = f:read("*a")
  f:close()
  wrk.headers["Content-Type"] = "application/json"
else
  wrk.method = "GET"
  -- The legacy clients' headers (.ci/load/profile.sh).
  wrk.headers["Client-Type"] = "1"
  wrk.headers["Version-Code"] = "100"
end
local auth = os.getenv("VERSUS_AUTH") or ""
if auth ~= "" then
  wrk.headers["Authorization"] = auth
end

local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

responses = 0
failed = 0
body_bytes = 0

function response(status, headers, body)
  responses = responses + 1
  body_bytes = body_bytes + #body
  local ok = status == 200
  if ok and kind == "rest" then
    ok = body:find('"status":1', 1, true) ~= nil
  elseif ok then
    ok = body:find('"errors"', 1, true) == nil
  end
  if not ok then
    failed = failed + 1
  end
end

function done(summary, latency, requests)
  local n, bad, bytes = 0, 0, 0
  for _, t in ipairs(threads) do
    n = n + t:get("responses")
    bad = bad + t:get("failed")
    bytes = bytes + t:get("body_bytes")
  end
  local e = summary.errors
  io.write(string.format(
    "versus requests=%d duration_us=%d p50_us=%d p99_us=%d socket_errors=%d timeouts=%d responses=%d failed=%d body_bytes=%d\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    e.connect + e.read + e.write, e.timeout, n, bad, bytes))
end
