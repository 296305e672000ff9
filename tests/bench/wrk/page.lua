-- wrk script for `make bench`: GETs the page with a logged-in session's cookie, taking the
-- cookies of BENCH_COOKIES (one "Cookie" value a line) in turn, so that requests in flight
-- belong to different sessions (PHP's file sessions serialise one session's requests, as
-- WHMCS's do). Every answer is checked: a status other than 200, or a page without
-- BENCH_MARKER (the module's panel showing the VM), counts as an error ("wrong"), so a fast
-- error page or a redirect to the login is never timed as a success. At the end, writes one
-- JSON object to BENCH_OUT: requests, seconds, errors, latency percentiles (ms).
local cookies = {}
local n = 0
local marker = os.getenv("BENCH_MARKER")
local threads = {}
wrong = 0

function setup(thread)
  thread:set("offset", #threads * 7)
  table.insert(threads, thread)
end

function init(args)
  assert(marker and marker ~= "", "BENCH_MARKER is not set")
  for line in io.lines(os.getenv("BENCH_COOKIES")) do
    if line ~= "" then cookies[#cookies + 1] = line end
  end
  n = offset or 0
end

function request()
  n = n + 1
  return wrk.format("GET", nil, { ["Cookie"] = cookies[(n % #cookies) + 1] })
end

function response(status, headers, body)
  if status ~= 200 or not body or not body:find(marker, 1, true) then
    wrong = wrong + 1
  end
end

-- Beside this script: the JSON both scripts write, given the count of wrong answers.
local report = dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "report.lua")
done = function(summary, latency, requests)
  local total = 0
  for _, thread in ipairs(threads) do
    total = total + (thread:get("wrong") or 0)
  end
  report(summary, latency, requests, total)
end
