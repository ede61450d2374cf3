-- POST /api/v1/scans over distinct permits, each alternating entry and exit at its own gate.
-- BENCH_TOKENS names a file of permit tokens (one a line); BENCH_BEARER is an administrator's token.
dofile(os.getenv("WRK_LIB") .. "/report.lua")
local scan = dofile(os.getenv("WRK_LIB") .. "/scan.lua")

local turns = {}
local next_index = 0

scan.drive(function(tokens)
  next_index = next_index % #tokens + 1
  local turn = (turns[next_index] or 0)
  turns[next_index] = turn + 1
  local direction = (turn % 2 == 0) and "entry" or "exit"
  local gate = (next_index % 2 == 0) and "CN-1" or "KZ-1"
  return tokens[next_index], gate, direction
end)
