-- wrk script: the GraphQL room feed of one logged-in user, 20 rooms per
-- page with each room's club, creator and connected members.
-- FEED=full (default) selects every field the legacy feed returns (about
-- 1,300 fields, 35 KB a page); FEED=card selects what a feed card shows
-- (names, member avatars, counts: about 560 fields).
--   AUTH="Basic base64(uid:token)" wrk -t2 -c16 -d10s -s room_feed.lua http://127.0.0.1:8080/graphql
-- room_feed.sh seeds the data and runs it.

local query = [[
query Feed($first: Int) {
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
}]]

local card = [[
query Feed($first: Int) {
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
}]]
if os.getenv("FEED") == "card" then
  query = card
end

local function json_string(s)
  return '"' .. s:gsub('\\', '\\\\'):gsub('"', '\\"'):gsub('\n', '\\n') .. '"'
end

wrk.method = "POST"
wrk.body = '{"query":' .. json_string(query) .. ',"variables":{"first":20}}'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = os.getenv("AUTH") or ""

local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

failed = 0

-- Counts answers that are not a clean page (HTTP error or GraphQL errors).
function response(status, headers, body)
  if status ~= 200 or body:find('"errors"', 1, true) then
    failed = failed + 1
  end
end

function done(summary, latency, requests)
  local secs = summary.duration / 1e6
  io.write(string.format("requests %d in %.1fs = %.0f req/s, socket errors %d\n",
    summary.requests, secs, summary.requests / secs,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
  io.write(string.format("latency ms: mean %.2f  p50 %.2f  p90 %.2f  p99 %.2f  max %.2f\n",
    latency.mean / 1000, latency:percentile(50) / 1000, latency:percentile(90) / 1000,
    latency:percentile(99) / 1000, latency.max / 1000))
  local bad = 0
  for _, t in ipairs(threads) do
    bad = bad + t:get("failed")
  end
  io.write(string.format("failed answers (HTTP error or GraphQL errors): %d\n", bad))
end
