-- wrk script: POST /v1/intents (async, 202) over a fixed set of sessions per thread, and count the
-- answers by status. Sessions are "ov-<thread>-<k>", k < SESSIONS, so that a checker can find every
-- accepted intent afterwards (<session>.<n>).
local SESSIONS = tonumber(os.getenv("TROUPE_WRK_SESSIONS") or "500")
local threads = {}
local thread_id = 0

function setup(thread)
  thread_id = thread_id + 1
  thread:set("tid", thread_id)
  table.insert(threads, thread)
end

function init(args)
  counter = 0
  statuses = {}
end

function request()
  counter = counter + 1
  local body = '{"text":"What is 17% of 2,340?","sessionId":"ov-' .. tid .. '-' .. (counter % SESSIONS) .. '"}'
  return wrk.format("POST", "/v1/intents", {["Content-Type"] = "application/json"}, body)
end

function response(status, headers, body)
  local key = tostring(status)
  statuses[key] = (statuses[key] or 0) + 1
end

function done(summary, latency, requests)
  local total = {}
  for _, thread in ipairs(threads) do
    local s = thread:get("statuses")
    for k, v in pairs(s) do total[k] = (total[k] or 0) + v end
  end
  local parts = {}
  for k, v in pairs(total) do table.insert(parts, '"' .. k .. '":' .. v) end
  io.write('WRK_RESULT {"statuses":{' .. table.concat(parts, ",") .. '},"requests":' .. summary.requests
    .. ',"seconds":' .. (summary.duration / 1e6) .. ',"p50ms":' .. (latency:percentile(50) / 1000)
    .. ',"p99ms":' .. (latency:percentile(99) / 1000) .. ',"threads":' .. #threads .. '}\n')
end
