-- POST /echo with a 1 KiB body for bench/run.
-- Usage: wrk ... -s bench/wrk/echo.lua URL -- [SIZE]   (default 1024 bytes)
local size = 1024

init = function(args)
  if args[1] then size = tonumber(args[1]) end
  local body = string.rep("x", size)
  req = wrk.format("POST", "/echo", { ["Content-Type"] = "application/octet-stream" }, body)
end

request = function()
  return req
end
