-- wrk script of bench/live.py: GET a path (optionally with If-None-Match and a session cookie),
-- or POST signed Stripe events read from files (one per wrk thread: "signature<TAB>body" a
-- line, each sent once). Counts the status codes; done() prints one line for bench/live.py:
--   BENCH <requests> <duration_us> <p50_us> <p95_us> <p99_us> <errors> <statuses> <repeats>
-- Settings come from the environment: BENCH_PATH, BENCH_ETAG, BENCH_COOKIE, BENCH_BODIES
-- (a directory: POST mode), BENCH_EXPECT (a Lua pattern every response body must match),
-- BENCH_DELAY_MS (each connection waits this long between its requests: a screen polling).

local delay_ms = tonumber(os.getenv("BENCH_DELAY_MS") or "")
if delay_ms and delay_ms > 0 then
  function delay()
    return delay_ms
  end
end

local threads = {}
local counter = 0

function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

local requests = {}
local next_request = 1
statuses = {}
repeats = 0  -- requests sent again after a thread ran out of events (must stay 0)
unexpected = 0

function init(args)
  local path = os.getenv("BENCH_PATH")
  -- Production sits behind a TLS-terminating proxy that says so (SECURE_PROXY_SSL_HEADER).
  local headers = { ["X-Forwarded-Proto"] = "https" }
  local etag = os.getenv("BENCH_ETAG")
  if etag and etag ~= "" then headers["If-None-Match"] = etag end
  local cookie = os.getenv("BENCH_COOKIE")
  if cookie and cookie ~= "" then headers["Cookie"] = cookie end
  local bodies = os.getenv("BENCH_BODIES")
  if bodies and bodies ~= "" then
    local file = assert(io.open(bodies .. "/bodies-" .. id .. ".txt", "r"))
    for line in file:lines() do
      local signature, body = line:match("^([^\t]*)\t(.*)$")
      headers["Content-Type"] = "application/json"
      headers["Stripe-Signature"] = signature
      table.insert(requests, wrk.format("POST", path, headers, body))
    end
    file:close()
  else
    table.insert(requests, wrk.format("GET", path, headers, nil))
  end
  expect = os.getenv("BENCH_EXPECT")
  if expect == "" then expect = nil end
end

local sent = 0

function request()
  local r = requests[next_request]
  next_request = next_request % #requests + 1
  sent = sent + 1
  if #requests > 1 and sent > #requests then repeats = repeats + 1 end
  return r
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
  if expect and not (body and body:match(expect)) then unexpected = unexpected + 1 end
end

function done(summary, latency, requests)
  local merged, repeated, odd = {}, 0, 0
  for _, thread in ipairs(threads) do
    for status, count in pairs(thread:get("statuses")) do
      merged[status] = (merged[status] or 0) + count
    end
    repeated = repeated + thread:get("repeats")
    odd = odd + thread:get("unexpected")
  end
  local parts = {}
  for status, count in pairs(merged) do table.insert(parts, status .. ":" .. count) end
  local e = summary.errors
  io.write(string.format("BENCH %d %d %d %d %d %d %s %d %d\n",
    summary.requests, summary.duration,
    latency:percentile(50), latency:percentile(95), latency:percentile(99),
    e.connect + e.read + e.write + e.timeout,
    #parts > 0 and table.concat(parts, ",") or "-", repeated, odd))
end
