"""Load from ``wrk`` on one shared MCP session, the way an independent harness drives a hub.

Our asyncio load generator (``bench/loadgen.py``) runs in Python on the same 2 cores and
gives each virtual client its own session; ``wrk`` is a C client whose connections here all
share ONE session (opened once below, protocol ``2025-06-18``), send a distinct JSON-RPC id
per request and check every reply (``bench/wrk_mcp.lua``).
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from bench.procs import NotAvailable, cpu_seconds

SCRIPT = Path(__file__).resolve().parent / "wrk_mcp.lua"
PROTOCOL = "2025-06-18"
ACCEPT = "application/json, text/event-stream"


def wrk() -> str:
    """The ``wrk`` binary, or NotAvailable with the command that installs it."""
    found = shutil.which("wrk")
    if not found:
        raise NotAvailable("wrk not installed: apt-get install -y wrk (Debian package wrk)")
    return found


@dataclass
class WrkStats:
    requests: int
    seconds: float
    failures: int
    socket_errors: int
    p50: float
    p90: float
    p99: float
    first_failure: str = ""
    cpu_ms: float | None = None
    """CPU per call (ms) of the measured server process, from /proc."""

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    @property
    def errors(self) -> int:
        return self.failures + self.socket_errors

    def summary(self) -> dict[str, Any]:
        return {
            "requests": self.requests,
            "rps": round(self.rps, 1),
            "p50_ms": self.p50,
            "p90_ms": self.p90,
            "p99_ms": self.p99,
            "failures": self.failures,
            "socket_errors": self.socket_errors,
            "cpu_ms_per_call": self.cpu_ms,
        }


def _post(url: str, message: dict[str, Any], headers: dict[str, str]) -> tuple[int, Any, Any]:
    """One JSON-RPC POST: (status, headers, the JSON-RPC message or None)."""
    body = json.dumps(message).encode()
    req = urllib.request.Request(url, body, {"Content-Type": "application/json", **headers})
    with urllib.request.urlopen(req, timeout=15) as resp:
        raw = resp.read()
        status, reply_headers = resp.status, resp.headers
    if not raw:
        return status, reply_headers, None
    if reply_headers.get("Content-Type", "").startswith("text/event-stream"):
        data = [line[5:] for line in raw.split(b"\n") if line.startswith(b"data:")]
        return status, reply_headers, json.loads(data[-1]) if data else None
    return status, reply_headers, json.loads(raw)


class SharedSession:
    """One MCP session opened with plain HTTP; its headers then go on every wrk request."""

    def __init__(self, url: str, token: str = "") -> None:
        self.url = url
        self.token = token
        self.session_id = ""
        self._id = 0

    def headers(self) -> dict[str, str]:
        out = {"Accept": ACCEPT, "MCP-Protocol-Version": PROTOCOL}
        if self.session_id:
            out["Mcp-Session-Id"] = self.session_id
        if self.token:
            out["Authorization"] = f"Bearer {self.token}"
        return out

    def call(self, method: str, params: dict[str, Any] | None = None) -> Any:
        self._id += 1
        message = {"jsonrpc": "2.0", "id": self._id, "method": method, "params": params or {}}
        status, _, reply = _post(self.url, message, self.headers())
        if status != 200 or not isinstance(reply, dict) or "result" not in reply:
            raise RuntimeError(f"{method} answered {status}: {str(reply)[:200]}")
        return reply["result"]

    def open(self) -> SharedSession:
        params = {
            "protocolVersion": PROTOCOL,
            "capabilities": {},
            "clientInfo": {"name": "mcphub-bench-wrk", "version": "1"},
        }
        message = {"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": params}
        headers = self.headers()
        headers.pop("MCP-Protocol-Version")
        status, reply_headers, reply = _post(self.url, message, headers)
        if status != 200 or not isinstance(reply, dict) or "result" not in reply:
            raise RuntimeError(f"initialize answered {status}: {str(reply)[:200]}")
        self.session_id = reply_headers.get("Mcp-Session-Id", "")
        note = {"jsonrpc": "2.0", "method": "notifications/initialized"}
        _post(self.url, note, self.headers())
        return self

    def tool_names(self) -> list[str]:
        names: list[str] = []
        cursor = None
        while True:
            result = self.call("tools/list", {"cursor": cursor} if cursor else {})
            names += [t["name"] for t in result.get("tools", [])]
            cursor = result.get("nextCursor")
            if not cursor:
                return names


def _parse(out: str) -> WrkStats:
    values: dict[str, str] = {}
    for line in out.splitlines():
        if line.startswith("mcp_"):
            key, _, value = line.partition(" ")
            values[key[4:]] = value.strip()
    if "requests" not in values:
        raise RuntimeError(f"wrk printed no summary:\n{out[-800:]}")
    return WrkStats(
        requests=int(values["requests"]),
        seconds=int(values["duration_us"]) / 1e6,
        failures=int(values["failures"]),
        socket_errors=int(values["socket_errors"]),
        p50=int(values["p50_us"]) / 1000,
        p90=int(values["p90_us"]) / 1000,
        p99=int(values["p99_us"]) / 1000,
        first_failure=values.get("first_failure", ""),
    )


async def run_wrk(
    session: SharedSession, tool: str, connections: int, seconds: float, pid: int | None = None
) -> WrkStats:
    """``wrk`` with ``connections`` keep-alive connections on ``session`` for ``seconds``
    (whole seconds, at least 1: wrk takes no less); CPU per call of ``pid`` if given."""
    parts = urlsplit(session.url)
    env = {
        **os.environ,
        "MCP_PATH": parts.path or "/",
        "MCP_SESSION": session.session_id,
        "MCP_TOKEN": session.token,
        "MCP_PROTOCOL": PROTOCOL,
        "MCP_TOOL": tool,
    }
    threads = min(2, connections)
    args = [wrk(), "-t", str(threads), "-c", str(connections), "-d", f"{max(1, round(seconds))}s"]
    args += ["-T", "10s", "--latency", "-s", str(SCRIPT), f"{parts.scheme}://{parts.netloc}"]
    before = cpu_seconds(pid) if pid else 0.0
    proc = await asyncio.create_subprocess_exec(
        *args, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT
    )
    out, _ = await proc.communicate()
    used = cpu_seconds(pid) - before if pid else 0.0
    if proc.returncode != 0:
        raise RuntimeError(f"wrk exited {proc.returncode}:\n{out.decode(errors='replace')[-800:]}")
    stats = _parse(out.decode(errors="replace"))
    if pid:
        stats.cpu_ms = 1000.0 * used / max(stats.requests, 1)
    return stats
