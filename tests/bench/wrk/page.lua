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

-- Beside this script: the JSON both scripts write.
done = dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "report.lua")
