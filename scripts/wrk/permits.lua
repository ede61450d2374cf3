-- POST /api/v1/permits with a different passport on every request (a repeated one would be 409).
-- Visit dates come from the environment: BENCH_FROM and BENCH_UNTIL (YYYY-MM-DD, zone calendar).
-- With BENCH_CAPTURE set, each thread writes the tokens it was given to BENCH_CAPTURE.<thread>,
-- one a line, for scans.lua to scan afterwards.
dofile(os.getenv("WRK_LIB") .. "/report.lua")

local counter = 0
local from = os.getenv("BENCH_FROM")
local untill = os.getenv("BENCH_UNTIL")
local run = os.getenv("BENCH_RUN") or "0"

request = function()
  counter = counter + 1
  local body = string.format(
    '{"document":{"type":"passport","issuing_country":"KAZ","number":"B%s%02d%07d","nationality":"KAZ",' ..
    '"surname":"WOLFESCHLEGELSTEINHAUSENBERGERDORFF","given_names":"HUBERT BLAINE","birth_date":"1990-01-31","sex":"M",' ..
    '"expiry_date":"2035-01-01"},"visit":{"from":"%s","until":"%s"}}',
    run, tid, counter, from, untill)
  return wrk.format("POST", "/api/v1/permits", {["Content-Type"] = "application/json"}, body)
end

local capture
function init(args)
  local prefix = os.getenv("BENCH_CAPTURE")
  if prefix then
    capture = assert(io.open(prefix .. "." .. tid, "w"))
    capture:setvbuf("line")
  end
end

local count_answer = response
response = function(status, headers, body)
  count_answer(status, headers, body)
  if capture and status == 201 then
    local token = string.match(body, '"token"%s*:%s*"([^"]+)"')
    if token then capture:write(token, "\n") end
  end
end
