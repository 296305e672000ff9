-- wrk script for `make bench`: the simulator's own VM GET (Bearer token BENCH_TOKEN) on kept-alive
-- connections; writes the same JSON as page.lua to BENCH_OUT.
function init(args)
  wrk.headers["Authorization"] = "Bearer " .. os.getenv("BENCH_TOKEN")
end

-- Beside this script: the JSON both scripts write.
done = dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "report.lua")
