-- wrk script: POST /v1/intents over a fixed set of sessions per thread, counting the answers by
-- status, and print one JSON line at the end: statuses, errors and latency percentiles (wrk keeps
-- them in an HdrHistogram).
--   TROUPE_WRK_PATH      /v1/intents (async, 202) or /v1/intents?wait=true
--   TROUPE_WRK_PREFIX    sessions are "<prefix>-<thread>-<k>", so that a checker can find every
--   TROUPE_WRK_SESSIONS  accepted intent afterwards (<session>.<n>); k < SESSIONS
local PATH = os.getenv("TROUPE_WRK_PATH") or "/v1/intents"
local PREFIX = os.getenv("TROUPE_WRK_PREFIX") or "ov"
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
  local body = '{"text":"What is 17% of 2,340?","sessionId":"' .. PREFIX .. '-' .. tid .. '-' .. (counter % SESSIONS) .. '"}'
  return wrk.format("POST", PATH, {["Content-Type"] = "application/json"}, body)
end

function response(status, headers, body)
  local key = tostring(status)
  statuses[key] = (statuses[key] or 0) + 1
end

function done(summary, latency, requests)
  local total = {}
  for _, thread in ipairs(threads) do
    for k, v in pairs(thread:get("statuses")) do total[k] = (total[k] or 0) + v end
  end
  local parts = {}
  for k, v in pairs(total) do table.insert(parts, '"' .. k .. '":' .. v) end
  io.write('WRK_RESULT {"statuses":{' .. table.concat(parts, ",") .. '},"requests":' .. summary.requests
    .. ',"seconds":' .. (summary.duration / 1e6) .. ',"errors":' .. (summary.errors.connect + summary.errors.read
    + summary.errors.write + summary.errors.timeout) .. ',"p50ms":' .. (latency:percentile(50) / 1000)
    .. ',"p99ms":' .. (latency:percentile(99) / 1000) .. ',"p999ms":' .. (latency:percentile(99.9) / 1000)
    .. ',"threads":' .. #threads .. '}\n')
end
