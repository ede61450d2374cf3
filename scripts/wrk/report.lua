-- Shared by the wrk scripts: count answers by status and denied scans, print one JSON line at the end.
local threads = {}

function setup(thread)
  thread:set("tid", #threads + 1)
  table.insert(threads, thread)
end

function response(status, headers, body)
  statuses = statuses or {}
  statuses[status] = (statuses[status] or 0) + 1
  if body and string.find(body, '"decision":"deny"', 1, true) then
    denied = (denied or 0) + 1
  end
end

function done(summary, latency, requests)
  local by_status, denied_total = {}, 0
  for _, thread in ipairs(threads) do
    local s = thread:get("statuses") or {}
    for code, n in pairs(s) do by_status[code] = (by_status[code] or 0) + n end
    denied_total = denied_total + (thread:get("denied") or 0)
  end
  local parts = {}
  for code, n in pairs(by_status) do table.insert(parts, string.format('"%d":%d', code, n)) end
  io.write(string.format(
    'WRK_JSON {"requests":%d,"duration_us":%d,"socket_errors":%d,"p50_us":%d,"p99_us":%d,"denied":%d,"statuses":{%s}}\n',
    summary.requests, summary.duration,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    latency:percentile(50), latency:percentile(99), denied_total, table.concat(parts, ",")))
end
