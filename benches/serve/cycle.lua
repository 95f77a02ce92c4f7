-- wrk script: cycles through the tile paths in urls.txt (one per line), each
-- thread starting at a different offset, and counts non-2xx/304 responses.
local paths = {}
local counter = 0
local bad = 0

function init(args)
  for line in io.lines(args[1] or "urls.txt") do
    paths[#paths + 1] = line
  end
  counter = math.random(#paths)
end

function request()
  counter = counter % #paths + 1
  return wrk.format("GET", paths[counter], {["Accept-Encoding"] = "gzip"})
end

function response(status, headers, body)
  if status ~= 200 and status ~= 204 then
    bad = bad + 1
  end
end

function done(summary, latency, requests)
  io.write(string.format("p50 %.3f ms, p99 %.3f ms, requests %d, non-2xx %d\n",
    latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    summary.requests, summary.errors.status))
end
