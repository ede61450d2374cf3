-- POST /api/v1/scans as travellers cross: every permit enters once and leaves once, through its
-- own side. BENCH_TOKENS names a file of permit tokens (one a line) that no scan has seen yet;
-- BENCH_BEARER is an administrator's token. Entries and exits go in blocks: a block's permits
-- enter, then the same permits leave, so no two requests for one permit are in flight at once
-- unless one entry waits longer than a block's worth of other requests (then its exit is denied
-- `not_inside`, rightly; with blocks of 2,000 that is about 0.3 s at 7,000 scans/s).
dofile(os.getenv("WRK_LIB") .. "/report.lua")
local scan = dofile(os.getenv("WRK_LIB") .. "/scan.lua")

local sent = 0
local block = 2000

scan.drive(function(tokens)
  local round, at = math.floor(sent / (2 * block)), sent % (2 * block)
  sent = sent + 1
  -- Past the last token the permits come round again: a second visit's entry and exit.
  local index = (round * block + at % block) % #tokens + 1
  local direction = (at < block) and "entry" or "exit"
  local gate = (index % 2 == 0) and "CN-1" or "KZ-1"
  return tokens[index], gate, direction
end)
