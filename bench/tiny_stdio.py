"""The smallest stdio MCP server that a hub can list and call: stdlib only.

Importing the SDK costs ~1.4 s per process on a slow box, which would make a 100-server
benchmark measure Python imports instead of the hub. This speaks just enough of the
2025-11-25 wire: initialize, ping, tools/list (``hello``, and ``env`` which returns the
process environment as JSON) and tools/call.
Run: ``python bench/tiny_stdio.py [name]``.
"""

from __future__ import annotations

import json
import os
import sys

NAME = sys.argv[1] if len(sys.argv) > 1 else "tiny"
TOOLS = [
    {"name": "hello", "description": "says hello", "inputSchema": {"type": "object"}},
    {"name": "env", "description": "the environment", "inputSchema": {"type": "object"}},
]


def answer(request: dict) -> dict:
    method = request.get("method")
    if method == "initialize":
        version = request.get("params", {}).get("protocolVersion", "2025-11-25")
        return {
            "protocolVersion": version,
            "capabilities": {"tools": {}},
            "serverInfo": {"name": NAME, "version": "1.0.0"},
        }
    if method == "ping":
        return {}
    if method == "tools/list":
        return {"tools": TOOLS}
    if method == "tools/call":
        if request.get("params", {}).get("name") == "env":
            return {"content": [{"type": "text", "text": json.dumps(dict(os.environ))}]}
        return {"content": [{"type": "text", "text": f"hello from {NAME}"}]}
    raise LookupError(method)


def main() -> None:
    for line in sys.stdin:
        if not line.strip():
            continue
        request = json.loads(line)
        if "id" not in request or "method" not in request:
            continue
        try:
            reply = {"jsonrpc": "2.0", "id": request["id"], "result": answer(request)}
        except LookupError:
            error = {"code": -32601, "message": "Method not found"}
            reply = {"jsonrpc": "2.0", "id": request["id"], "error": error}
        sys.stdout.write(json.dumps(reply) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
