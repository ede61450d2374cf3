-- Shared by the scan scripts: this wrk thread's share of the permit tokens, and scan requests.
-- BENCH_TOKENS names a file of permit tokens (one a line); BENCH_BEARER is an administrator's token.
local scan = {}
local bearer = os.getenv("BENCH_BEARER")

-- This thread's tokens; seeds the nonces. Each wrk thread takes its own share, so two threads
-- never scan one permit.
local function load_tokens()
  -- BENCH_SEED (0 to 9) sets two wrk processes started in the same second apart.
  math.randomseed(os.time() * 100 + tid + 10 * (tonumber(os.getenv("BENCH_SEED") or "0") or 0))
  local tokens, i = {}, 0
  for line in io.lines(os.getenv("BENCH_TOKENS")) do
    i = i + 1
    if i % 2 == tid % 2 then table.insert(tokens, line) end
  end
  return tokens
end

local function uuid()
  return string.format("%08x-%04x-4%03x-%04x-%06x%06x",
    math.random(0, 0x7fffffff), math.random(0, 0xffff), math.random(0, 0xfff),
    math.random(0x8000, 0xbfff), math.random(0, 0xffffff), math.random(0, 0xffffff))
end

-- A scan of `token` at `gate`, `direction` entry or exit, with a fresh nonce.
local function scan_request(token, gate, direction)
  local body = string.format('{"token":"%s","gate_id":"%s","direction":"%s","nonce":"%s"}',
    token, gate, direction, uuid())
  return wrk.format("POST", "/api/v1/scans",
    {["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. bearer}, body)
end

-- Sets wrk's init() and request(): `next_scan(tokens)` returns the next scan's token, gate and
-- direction. wrk calls request() once on its first thread to check the script and throws that
-- request away (wrk.c: script_verify_request on thread 0); that call does not reach `next_scan`,
-- so it moves no permit on.
function scan.drive(next_scan)
  local tokens, checked = {}, true
  init = function(args)
    -- `tid` is set by setup(), after this file runs and before init().
    tokens, checked = load_tokens(), (tid ~= 1)
  end
  request = function()
    if not checked then
      checked = true
      return scan_request(tokens[1], "CN-1", "entry")
    end
    return scan_request(next_scan(tokens))
  end
end

return scan
