// A small MCP upstream on the official TypeScript SDK, as users deploy them: streamable HTTP,
// stateless (a server and transport per request, as the SDK's stateless example does), and
// `enableJsonResponse: true`, so every reply is `application/json`. Tools: echo and add, like
// bench/upstream.py. The SDK is not vendored: `bench/ts_upstream/__init__.py` installs it into
// a cache directory and passes its node_modules here as BENCH_TS_MODULES.
//
//   BENCH_TS_MODULES=~/.cache/mcphub-bench-ts/node_modules node server.mjs [--port 0]
// prints "LISTENING <port>" once it accepts connections.
import { createServer } from "node:http";
import { createRequire } from "node:module";
import { join } from "node:path";

const modules = process.env.BENCH_TS_MODULES;
if (!modules) {
  console.error("BENCH_TS_MODULES must name the node_modules holding @modelcontextprotocol/sdk");
  process.exit(2);
}
const require = createRequire(join(modules, "bench-ts-upstream.js"));
const { McpServer } = require("@modelcontextprotocol/sdk/server/mcp.js");
const { StreamableHTTPServerTransport } = require("@modelcontextprotocol/sdk/server/streamableHttp.js");
const { z } = require("zod");

function mcpServer() {
  const server = new McpServer({ name: "bench-ts", version: "1.0.0" });
  server.registerTool(
    "echo",
    { description: "Return the text argument.", inputSchema: { text: z.string() } },
    async ({ text }) => ({ content: [{ type: "text", text }] }),
  );
  server.registerTool(
    "add",
    { description: "Add two numbers.", inputSchema: { a: z.number(), b: z.number() } },
    async ({ a, b }) => ({ content: [{ type: "text", text: String(a + b) }] }),
  );
  return server;
}

function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

const http = createServer(async (req, res) => {
  const path = (req.url || "").split("?")[0];
  if (path !== "/mcp") {
    res.writeHead(404).end();
    return;
  }
  if (req.method !== "POST") {
    // Stateless: no standalone GET stream, no session to DELETE.
    res.writeHead(405, { Allow: "POST" }).end();
    return;
  }
  try {
    const raw = await readBody(req);
    const body = raw ? JSON.parse(raw) : undefined;
    const server = mcpServer();
    const transport = new StreamableHTTPServerTransport({
      sessionIdGenerator: undefined,
      enableJsonResponse: true,
    });
    res.on("close", () => {
      transport.close();
      server.close();
    });
    await server.connect(transport);
    await transport.handleRequest(req, res, body);
  } catch (err) {
    if (!res.headersSent) {
      res.writeHead(500, { "Content-Type": "application/json" });
      res.end(
        JSON.stringify({
          jsonrpc: "2.0",
          error: { code: -32603, message: String(err) },
          id: null,
        }),
      );
    }
  }
});
http.keepAliveTimeout = 60_000;

const i = process.argv.indexOf("--port");
const port = i > 0 ? Number(process.argv[i + 1]) : 0;
http.listen(port, "127.0.0.1", () => {
  process.stdout.write(`LISTENING ${http.address().port}\n`);
});
for (const sig of ["SIGTERM", "SIGINT"]) {
  process.on(sig, () => http.close(() => process.exit(0)) && http.closeAllConnections());
}
