-- Pipelined GETs for bench/run: each write carries DEPTH requests.
-- Usage: wrk ... -s bench/wrk/pipeline.lua URL -- [PATH] [DEPTH]
-- (defaults: /plaintext, 16)
local path = "/plaintext"
local depth = 16

init = function(args)
  if args[1] and args[1] ~= "" then path = args[1] end
  if args[2] then depth = tonumber(args[2]) end
  local r = {}
  for i = 1, depth do
    r[i] = wrk.format("GET", path)
  end
  req = table.concat(r)
end

request = function()
  return req
end

-- Latency: wrk records one latency per write (a batch of DEPTH) and then
-- "corrects" it for coordinated omission with an expected interval computed
-- from responses, DEPTH times too small; its percentile walk starts at the
-- recorded minimum, below which that correction adds counts, so the upper
-- percentiles often print 0. bench/run reports such a p99 as n/a: the
-- throughput is the number that matters for the pipelined scenarios.
