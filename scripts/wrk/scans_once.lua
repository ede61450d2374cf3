-- POST /api/v1/scans as travellers cross: every permit enters once and leaves once, through its
-- own side. BENCH_TOKENS names a file of permit tokens (one a line) that no scan has seen yet;
-- BENCH_BEARER is an administrator's token. Entries and exits go in blocks: a block's permits
-- enter, then the same permits leave, so no two requests for one permit are in flight at once
-- unless one entry waits longer than a block's worth of other requests (then its exit is denied
-- `not_inside`, rightly; with blocks of 2,000 that is about 0.3 s at 7,000 scans/s).
dofile(os.getenv("WRK_LIB") .. "/report.lua")

local tokens = {}
local sent = 0
local block = 2000
local bearer = os.getenv("BENCH_BEARER")

function init(args)
  math.randomseed(os.time() * 100 + tid)
  local i = 0
  for line in io.lines(os.getenv("BENCH_TOKENS")) do
    i = i + 1
    -- Each wrk thread takes its own share, so two threads never scan one permit.
    if i % 2 == tid % 2 then table.insert(tokens, line) end
  end
end

local function uuid()
  return string.format("%08x-%04x-4%03x-%04x-%06x%06x",
    math.random(0, 0x7fffffff), math.random(0, 0xffff), math.random(0, 0xfff),
    math.random(0x8000, 0xbfff), math.random(0, 0xffffff), math.random(0, 0xffffff))
end

request = function()
  local round, at = math.floor(sent / (2 * block)), sent % (2 * block)
  sent = sent + 1
  -- Past the last token the permits come round again: a second visit's entry and exit.
  local index = (round * block + at % block) % #tokens + 1
  local direction = (at < block) and "entry" or "exit"
  local gate = (index % 2 == 0) and "CN-1" or "KZ-1"
  local body = string.format('{"token":"%s","gate_id":"%s","direction":"%s","nonce":"%s"}',
    tokens[index], gate, direction, uuid())
  return wrk.format("POST", "/api/v1/scans",
    {["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. bearer}, body)
end
