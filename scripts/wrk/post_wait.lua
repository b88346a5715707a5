-- wrk script: POST /v1/intents?wait=true with a session per request slot, and print the latency
-- percentiles (wrk keeps them in an HdrHistogram) as one JSON line.
local threads = {}
local n = 0

function setup(thread)
  n = n + 1
  thread:set("tid", n)
  table.insert(threads, thread)
end

function init(args)
  counter = 0
  statuses = {}
end

function request()
  counter = counter + 1
  local body = '{"text":"What is 17% of 2,340?","sessionId":"in-' .. tid .. '-' .. (counter % 5000) .. '"}'
  return wrk.format("POST", "/v1/intents?wait=true", {["Content-Type"] = "application/json"}, body)
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
    .. ',"p99ms":' .. (latency:percentile(99) / 1000) .. ',"p999ms":' .. (latency:percentile(99.9) / 1000) .. '}\n')
end
