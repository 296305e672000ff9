-- wrk script for `make bench`: GETs the page with a logged-in session's cookie, taking the
-- cookies of BENCH_COOKIES (one "Cookie" value a line) in turn, so that requests in flight
-- belong to different sessions (PHP's file sessions serialise one session's requests, as
-- WHMCS's do). At the end, writes one JSON object to BENCH_OUT: requests, seconds, errors,
-- latency percentiles (ms).
local cookies = {}
local n = 0

function setup(thread)
  thread:set("offset", (thread_count or 0) * 7)
  thread_count = (thread_count or 0) + 1
end

function init(args)
  for line in io.lines(os.getenv("BENCH_COOKIES")) do
    if line ~= "" then cookies[#cookies + 1] = line end
  end
  n = offset or 0
end

function request()
  n = n + 1
  return wrk.format("GET", nil, { ["Cookie"] = cookies[(n % #cookies) + 1] })
end

function done(summary, latency, requests)
  local e = summary.errors
  local f = assert(io.open(os.getenv("BENCH_OUT"), "w"))
  f:write(string.format(
    '{"requests":%d,"seconds":%.3f,"rps":%.2f,"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},' ..
    '"latency_ms":{"p50":%.3f,"p90":%.3f,"p99":%.3f,"mean":%.3f,"max":%.3f}}\n',
    summary.requests, summary.duration / 1e6, summary.requests / (summary.duration / 1e6),
    e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000,
    latency.mean / 1000, latency.max / 1000))
  f:close()
end
