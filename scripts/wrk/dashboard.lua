-- GET of one administrators' page with the session cookie (BENCH_COOKIE) and the path BENCH_PATH.
dofile(os.getenv("WRK_LIB") .. "/report.lua")

local cookie = os.getenv("BENCH_COOKIE")
local path = os.getenv("BENCH_PATH")

function request()
  return wrk.format("GET", path, { ["Cookie"] = cookie, ["Accept-Language"] = "en" })
end
