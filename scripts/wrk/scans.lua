-- POST /api/v1/scans over distinct permits, each alternating entry and exit at its own gate.
-- BENCH_TOKENS names a file of permit tokens (one a line); BENCH_BEARER is an administrator's token.
dofile(os.getenv("WRK_LIB") .. "/report.lua")

local tokens, turns = {}, {}
local next_index = 0
local bearer = os.getenv("BENCH_BEARER")

function init(args)
  math.randomseed(os.time() * 100 + tid)
  local i = 0
  for line in io.lines(os.getenv("BENCH_TOKENS")) do
    i = i + 1
    -- Each wrk thread takes its own share, so two threads never scan one permit at once.
    if i % 2 == tid % 2 then table.insert(tokens, line) end
  end
end

local function uuid()
  return string.format("%08x-%04x-4%03x-%04x-%06x%06x",
    math.random(0, 0x7fffffff), math.random(0, 0xffff), math.random(0, 0xfff),
    math.random(0x8000, 0xbfff), math.random(0, 0xffffff), math.random(0, 0xffffff))
end

request = function()
  next_index = next_index % #tokens + 1
  local turn = (turns[next_index] or 0)
  turns[next_index] = turn + 1
  local direction = (turn % 2 == 0) and "entry" or "exit"
  local gate = (next_index % 2 == 0) and "CN-1" or "KZ-1"
  local body = string.format('{"token":"%s","gate_id":"%s","direction":"%s","nonce":"%s"}',
    tokens[next_index], gate, direction, uuid())
  return wrk.format("POST", "/api/v1/scans",
    {["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. bearer}, body)
end
