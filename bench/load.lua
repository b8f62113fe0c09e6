-- wrk script: a different x-user-id on every request; with SPREAD set, requests also spread over
-- 50 path prefixes (/r0 ... /r49); BENCH_PATH replaces the path and query (default: 1 KB of text).
-- Prints one machine-readable line at the end.
local threads = {}
local next_id = 1

function setup(thread)
  thread:set("tid", next_id)
  next_id = next_id + 1
  table.insert(threads, thread)
end

local counter = 0
function request()
  counter = counter + 1
  local path = os.getenv("BENCH_PATH") or "/__origin/bytes?n=1024"
  if os.getenv("SPREAD") then path = "/r" .. (counter % 50) .. path end
  return wrk.format("GET", path, { ["x-user-id"] = "u" .. tid .. "-" .. counter })
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("WRKJSON {\"requests\":%d,\"duration_us\":%d,\"errors\":%d,\"non2xx\":%d,\"p50_us\":%d,\"p99_us\":%d,\"mean_us\":%.1f}\n",
    summary.requests, summary.duration, e.connect + e.read + e.write + e.timeout, e.status, latency:percentile(50), latency:percentile(99), latency.mean))
end
