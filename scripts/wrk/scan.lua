-- Shared by the scan scripts: this wrk thread's share of the permit tokens, and one scan request.
-- BENCH_TOKENS names a file of permit tokens (one a line); BENCH_BEARER is an administrator's token.
local scan = {}
local bearer = os.getenv("BENCH_BEARER")

-- Call from init(): seeds the nonces and returns this thread's tokens. Each wrk thread takes
-- its own share, so two threads never scan one permit.
function scan.tokens()
  math.randomseed(os.time() * 100 + tid)
  local tokens, i = {}, 0
  for line in io.lines(os.getenv("BENCH_TOKENS")) do
    i = i + 1
    if i % 2 == tid % 2 then table.insert(tokens, line) end
  end
  return tokens
end

-- wrk calls request() once on its first thread to check the script and throws that request
-- away (wrk.c: script_verify_request on thread 0): true for that call, so it moves no permit on.
local checked = false
function scan.thrown_away()
  if tid == 1 and not checked then
    checked = true
    return true
  end
  return false
end

local function uuid()
  return string.format("%08x-%04x-4%03x-%04x-%06x%06x",
    math.random(0, 0x7fffffff), math.random(0, 0xffff), math.random(0, 0xfff),
    math.random(0x8000, 0xbfff), math.random(0, 0xffffff), math.random(0, 0xffffff))
end

-- A scan of `token` at `gate`, `direction` entry or exit, with a fresh nonce.
function scan.request(token, gate, direction)
  local body = string.format('{"token":"%s","gate_id":"%s","direction":"%s","nonce":"%s"}',
    token, gate, direction, uuid())
  return wrk.format("POST", "/api/v1/scans",
    {["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. bearer}, body)
end

return scan
