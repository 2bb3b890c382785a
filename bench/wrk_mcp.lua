-- wrk script: tools/call over keep-alive connections that all share ONE MCP session.
-- The session is opened beforehand (bench/wrk_load.py); this script only sends calls with
-- its Mcp-Session-Id, a distinct JSON-RPC id per request, and checks every reply: status 200
-- and a JSON-RPC result (no error, no isError). Settings come from the environment:
--   MCP_PATH (default /mcp), MCP_SESSION, MCP_TOKEN (bearer), MCP_PROTOCOL, MCP_TOOL,
--   MCP_TEXT (the echo argument).
-- done() prints "mcp_<key> <value>" lines that bench/wrk_load.py parses.

local threads = {}
local counter = 0

function setup(thread)
  thread:set("index", #threads)
  table.insert(threads, thread)
end

function init(args)
  path = os.getenv("MCP_PATH") or "/mcp"
  headers = {
    ["Content-Type"] = "application/json",
    ["Accept"] = "application/json, text/event-stream",
    ["MCP-Protocol-Version"] = os.getenv("MCP_PROTOCOL") or "2025-06-18",
  }
  local session = os.getenv("MCP_SESSION") or ""
  if session ~= "" then headers["Mcp-Session-Id"] = session end
  local token = os.getenv("MCP_TOKEN") or ""
  if token ~= "" then headers["Authorization"] = "Bearer " .. token end
  local tool = os.getenv("MCP_TOOL") or "echo"
  local text = os.getenv("MCP_TEXT") or "hello"
  prefix = '{"jsonrpc":"2.0","id":'
  suffix = ',"method":"tools/call","params":{"name":"' .. tool
    .. '","arguments":{"text":"' .. text .. '"}}}'
  base = (index + 1) * 1000000000
  failures = 0
  first_failure = ""
end

function request()
  counter = counter + 1
  return wrk.format("POST", path, headers, prefix .. (base + counter) .. suffix)
end

function response(status, hdrs, body)
  local ok = status == 200
    and body:find('"result"', 1, true) ~= nil
    and body:find('"error":{', 1, true) == nil
    and body:find('"isError":true', 1, true) == nil
  if not ok then
    failures = failures + 1
    if first_failure == "" then
      first_failure = ("HTTP " .. status .. " " .. body:sub(1, 200)):gsub("[\r\n]", " ")
    end
  end
end

function done(summary, latency, requests)
  local failed, first = 0, ""
  for _, thread in ipairs(threads) do
    failed = failed + (thread:get("failures") or 0)
    if first == "" then first = thread:get("first_failure") or "" end
  end
  local e = summary.errors
  io.write(string.format("mcp_requests %d\n", summary.requests))
  io.write(string.format("mcp_duration_us %d\n", summary.duration))
  io.write(string.format("mcp_failures %d\n", failed))
  io.write(string.format("mcp_socket_errors %d\n", e.connect + e.read + e.write + e.timeout))
  for _, p in ipairs({ 50, 90, 99 }) do
    io.write(string.format("mcp_p%d_us %d\n", p, latency:percentile(p)))
  end
  io.write("mcp_first_failure " .. first .. "\n")
end
