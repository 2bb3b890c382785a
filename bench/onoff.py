"""S2o/S3o: S2 and S3 with activities and metrics on, against the same hub with them off.

Issue 15 asks for throughput with both observability plugins on within 5 % of with them
off. Two hubs run at once from this checkout on the same upstreams: one as shipped, one
started with ``MCPHUB_DISABLE_PLUGINS=activity,metrics``. The load goes to one at a time
(the other idles), in many short rounds that alternate which side goes first, so a busy
moment on this shared host falls on both sides alike; each figure is the median of its
side's rounds. Besides req/s, the hub's CPU per call (utime+stime from /proc over the run,
warm-up included) moves far less with the machine's load than req/s does.
"""

from __future__ import annotations

import asyncio
import statistics
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from typing import Any

from bench.loadgen import Stats, list_all, run_load
from bench.procs import Hub, NotAvailable, Upstream, cpu_seconds, http_server, stdio_server
from bench.scenarios import Report, echo, mcp_session, tool_named, wait_connected

PLUGINS = "activity,metrics"
"""What the "off" hub blocks."""
TARGET = 0.95
"""On/off req/s at least this: "within 5 %"."""


@dataclass
class OnOffRow:
    """One path at one concurrency: each side's rounds and their medians."""

    scenario: str
    path: str
    concurrency: int
    on_rps: list[float] = field(default_factory=list)
    off_rps: list[float] = field(default_factory=list)
    on_cpu: list[float] = field(default_factory=list)
    off_cpu: list[float] = field(default_factory=list)
    errors: int = 0
    requests: int = 0
    first_error: str = ""
    note: str = ""

    def add(self, on: bool, stats: Stats, cpu_ms: float) -> None:
        (self.on_rps if on else self.off_rps).append(stats.rps)
        (self.on_cpu if on else self.off_cpu).append(cpu_ms)
        self.errors += stats.errors
        self.requests += stats.requests
        self.first_error = self.first_error or stats.first_error

    @staticmethod
    def median(values: list[float]) -> float | None:
        return statistics.median(values) if values else None

    @classmethod
    def ratio(cls, on_values: list[float], off_values: list[float]) -> float | None:
        on, off = cls.median(on_values), cls.median(off_values)
        return on / off if on is not None and off else None

    def rps_ratio(self) -> float | None:
        return self.ratio(self.on_rps, self.off_rps)

    def cpu_ratio(self) -> float | None:
        return self.ratio(self.on_cpu, self.off_cpu)

    @property
    def met(self) -> bool | None:
        ratio = self.rps_ratio()
        return None if ratio is None else ratio >= TARGET


def runs(concurrency: tuple[int, ...]) -> list[tuple[str, str, str, int]]:
    """(scenario, path, server, C) of every measured combination."""
    out = [("S2o hub → HTTP", "HTTP JSON", "http", c) for c in concurrency]
    return out + [("S3o hub → stdio", "stdio", "stdio", c) for c in concurrency]


async def measure(hub: Hub, tool: str, c: int, duration: float) -> tuple[Stats, float]:
    """One load run against ``hub`` and its CPU per call (ms), warm-up included."""
    before = cpu_seconds(hub.pid)
    stats = await run_load(
        hub.url + "/mcp", "tools/call", echo(tool), concurrency=c, duration=duration, warmup=0.2
    )
    return stats, 1000.0 * (cpu_seconds(hub.pid) - before) / max(stats.total, 1)


def metrics_status(hub: Hub) -> int:
    """The status of an anonymous ``GET /metrics``: 401 while the metrics plugin serves it,
    404 once it is blocked."""
    try:
        with urllib.request.urlopen(hub.url + "/metrics", timeout=5) as reply:
            return int(reply.status)
    except urllib.error.HTTPError as exc:
        return exc.code


async def catalogue(hub: Hub) -> list[dict[str, Any]]:
    session = await mcp_session(hub)
    try:
        return await list_all(session)
    finally:
        session.close()


async def onoff(report: Report, upstream: Upstream, want: set[str]) -> None:
    """Start both hubs, then alternate short load runs between them; rows into ``report``."""
    p = report.params
    servers = {"http": http_server(upstream.url()), "stdio": stdio_server()}
    selected = [r for r in runs(p.concurrency) if r[0][:3] in want]
    rows = [OnOffRow(scenario, path, c) for scenario, path, _, c in selected]
    hubs: dict[bool, Hub] = {}
    try:
        for on in (True, False):
            env = {**p.hub_env} if on else {**p.hub_env, "MCPHUB_DISABLE_PLUGINS": PLUGINS}
            hubs[on] = await Hub(servers, p.hub_log_level, p.hub_root, env).start()
        tools: dict[bool, list[dict[str, Any]]] = {}
        for on, hub in hubs.items():
            await wait_connected(hub, len(servers), 20 if not p.quick else 10)
            tools[on] = await catalogue(hub)
            status = await asyncio.to_thread(metrics_status, hub)
            if (status == 404) == on:  # the comparison means nothing if blocking failed
                raise RuntimeError(f"the plugins-{'on' if on else 'off'} hub: /metrics {status}")
        if not p.quick:  # a first run each, not counted: imports, caches, the SQLite file
            for on, hub in hubs.items():
                for _, _, server, c in selected:
                    await measure(hub, tool_named(tools[on], server, "echo"), c, 0.5)
        for round_ in range(p.onoff_rounds):
            order = (True, False) if round_ % 2 == 0 else (False, True)
            for row, (_, _, server, c) in zip(rows, selected, strict=True):
                for on in order:
                    name = tool_named(tools[on], server, "echo")
                    stats, cpu = await measure(hubs[on], name, c, p.onoff_duration)
                    row.add(on, stats, cpu)
    except NotAvailable as exc:
        for row in rows:
            row.note = str(exc)
    finally:
        report.onoff.extend(rows)
        for hub in hubs.values():
            await hub.stop()


def _f(value: float | None, spec: str) -> str:
    return "" if value is None else format(value, spec)


def onoff_table(rows: list[OnOffRow]) -> list[str]:
    """The side-by-side table ``python -m bench`` prints."""
    out = [
        (
            "| Scenario | Path | C | req/s on | req/s off | on / off | hub CPU ms/call on "
            "| hub CPU ms/call off | CPU on / off | errors | Target | Met |"
        ),
        "|---|---|--:|--:|--:|--:|--:|--:|--:|--:|---|---|",
    ]
    for row in rows:
        if row.note:
            out.append(f"| {row.scenario} | {row.path} | {row.concurrency} | {row.note} |||||||||")
            continue
        met = row.met
        out.append(
            f"| {row.scenario} | {row.path} | {row.concurrency} "
            f"| {_f(row.median(row.on_rps), '.0f')} | {_f(row.median(row.off_rps), '.0f')} "
            f"| {_f(row.rps_ratio(), '.3f')} | {_f(row.median(row.on_cpu), '.3f')} "
            f"| {_f(row.median(row.off_cpu), '.3f')} | {_f(row.cpu_ratio(), '.3f')} "
            f"| {row.errors}/{row.requests} | within 5 % "
            f"| {'' if met is None else 'yes' if met else '**no**'} |"
        )
    return out
