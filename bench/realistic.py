"""S2r and S3r: the hub measured as users run it (issue 21), side by side with its upstream.

Conditions, each something real deployments do and ``S2``/``S3`` do not:
- bearer auth on (the hub's default), the key imported from an MCPHub-style
  ``mcp_settings.json`` (``bearerKeys`` with a plaintext token);
- S2r's upstream is ``bench/ts_upstream/server.mjs``, on the official TypeScript SDK
  (streamable HTTP, stateless, ``application/json`` replies); S3r's is our stdio upstream;
- load from ``wrk``: 16 keep-alive connections sharing one MCP session (``bench/wrk_load.py``);
- the hub at its default log level (an access line per request).
The same wrk load runs against the TypeScript upstream directly in the same run, so S2r's
figures are ratios to it.
"""

from __future__ import annotations

import asyncio
import secrets
import uuid
from dataclasses import dataclass
from typing import Any

from bench.procs import Hub, NotAvailable, http_server, stdio_server
from bench.scenarios import Report, tool_named, wait_connected
from bench.ts_upstream import TsUpstream
from bench.wrk_load import SharedSession, WrkStats, run_wrk, wrk

CONCURRENCY = (1, 16)
ARGS = {"text": "hello"}


@dataclass
class RealRow:
    scenario: str
    path: str
    concurrency: int
    hub: WrkStats | None = None
    direct: WrkStats | None = None
    target: str = ""
    met: bool | None = None
    note: str = ""

    def ratio(self) -> float | None:
        if self.hub is None or self.direct is None or not self.direct.rps:
            return None
        return self.hub.rps / self.direct.rps

    def added_p50(self) -> float | None:
        if self.hub is None or self.direct is None:
            return None
        return self.hub.p50 - self.direct.p50


def settings(token: str) -> dict[str, Any]:
    """The rest of an MCPHub ``mcp_settings.json``: one all-access key, routing untouched."""
    key = {
        "id": str(uuid.uuid4()),
        "name": "bench",
        "token": token,
        "enabled": True,
        "accessType": "all",
        "allowedGroups": [],
        "allowedServers": [],
    }
    return {"bearerKeys": [key], "systemConfig": {}}


def targets(row: RealRow) -> None:
    """Issue 21's "done when" figures, for the rows they speak of."""
    hub, ratio, added = row.hub, row.ratio(), row.added_p50()
    if hub is None:
        return
    if row.scenario.startswith("S2r") and row.concurrency == 16 and ratio is not None:
        cpu = hub.cpu_ms if hub.cpu_ms is not None else float("inf")
        row.target = "hub CPU ≤ 0.5 ms/call, ≥ 0.10x direct"
        row.met = cpu <= 0.5 and ratio >= 0.10
    elif row.scenario.startswith("S2r") and row.concurrency == 1 and added is not None:
        row.target, row.met = "+p50 ≤ 0.5 ms", added <= 0.5
    elif row.scenario.startswith("S3r") and row.concurrency == 16:
        row.target, row.met = "≥ 2000 req/s", hub.rps >= 2000


def missing(report: Report, scenarios: list[str], why: str) -> None:
    for scenario in scenarios:
        for c in CONCURRENCY:
            report.real.append(RealRow(scenario, "-", c, note=why))


async def run_real(report: Report, want_http: bool, want_stdio: bool) -> None:
    """S2r and/or S3r on one hub; a missing wrk or node becomes a row that says so."""
    names = (["S2r"] if want_http else []) + (["S3r"] if want_stdio else [])
    try:
        wrk()
    except NotAvailable as exc:
        missing(report, names, str(exc))
        report.errors.append(f"{'/'.join(names)}: {exc}")
        return
    upstream: TsUpstream | None = None
    if want_http:
        try:
            upstream = await TsUpstream().start()
        except NotAvailable as exc:
            missing(report, ["S2r"], str(exc))
            report.errors.append(f"S2r: {exc}")
            want_http = False
    if not (want_http or want_stdio):
        return
    try:
        await _with_hub(report, upstream, want_stdio)
    finally:
        if upstream is not None:
            await upstream.stop()


async def _with_hub(report: Report, upstream: TsUpstream | None, want_stdio: bool) -> None:
    p = report.params
    token = "mcphub-bench-" + secrets.token_urlsafe(24)
    servers: dict[str, dict[str, Any]] = {}
    if upstream is not None:
        servers["ts"] = http_server(upstream.url())
    if want_stdio:
        servers["stdio"] = stdio_server()
    hub = await Hub(servers, None, p.hub_root, p.hub_env, settings(token)).start()
    try:
        await wait_connected(hub, len(servers), 20 if not p.quick else 10)
        session = await asyncio.to_thread(SharedSession(hub.url + "/mcp", token).open)
        tools = [{"name": n} for n in await asyncio.to_thread(session.tool_names)]
        warm = 0.0 if p.quick else 1.0
        if upstream is not None:
            direct = await asyncio.to_thread(SharedSession(upstream.url()).open)
            name = tool_named(tools, "ts", "echo")
            if warm:
                await run_wrk(direct, "echo", 16, warm)
                await run_wrk(session, name, 16, warm)
            for c in CONCURRENCY:
                row = RealRow("S2r hub → TS SDK (HTTP)", "wrk, 1 session, bearer", c)
                row.direct = await run_wrk(direct, "echo", c, p.duration, upstream.pid)
                row.hub = await run_wrk(session, name, c, p.duration, hub.pid)
                targets(row)
                report.real.append(row)
        if want_stdio:
            name = tool_named(tools, "stdio", "echo")
            if warm:
                await run_wrk(session, name, 16, warm)
            for c in CONCURRENCY:
                row = RealRow("S3r hub → stdio", "wrk, 1 session, bearer", c)
                row.hub = await run_wrk(session, name, c, p.duration, hub.pid)
                targets(row)
                report.real.append(row)
    finally:
        await hub.stop()
