-- The figures both wrk scripts write to BENCH_OUT as JSON: `done = dofile(".../report.lua")`.
-- `wrong` is the count of answers the script checked and refused (page.lua), 0 where none are.
return function(summary, latency, requests, wrong)
  local e = summary.errors
  local f = assert(io.open(os.getenv("BENCH_OUT"), "w"))
  f:write(string.format(
    '{"requests":%d,"seconds":%.3f,"rps":%.2f,"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d,"wrong":%d},' ..
    '"latency_ms":{"p50":%.3f,"p90":%.3f,"p99":%.3f,"mean":%.3f,"max":%.3f}}\n',
    summary.requests, summary.duration / 1e6, summary.requests / (summary.duration / 1e6),
    e.connect, e.read, e.write, e.status, e.timeout, wrong or 0,
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000,
    latency.mean / 1000, latency.max / 1000))
  f:close()
end
