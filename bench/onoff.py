"""S2o/S3o: S2 and S3 with activities and metrics on, against the same hub with them off.

Issue 15 asks for throughput with both observability plugins on within 5 % of with them
off. Hubs run at once from this checkout on the same upstreams: ``instances`` as shipped,
as many started with ``MCPHUB_DISABLE_PLUGINS=activity,metrics``. The load goes to one at
a time (the others idle), in short runs: each round measures every on/off pair back to
back, alternating which side goes first, so a busy moment on this shared host falls on
both sides alike. Several processes per side, as pyperf runs several: on this host two
identical hubs started side by side differ by up to 10-15 % in req/s for as long as they
run (memory layout, not the code), so one process a side measures that draw as much as
the plugins. Each figure is the median of its side's runs over all its processes; "paired"
is the median of the on/off ratios of runs made back to back. Besides req/s, the hub's CPU
per call (utime+stime from /proc over the run, warm-up included) is shown.
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
    pairs: list[float] = field(default_factory=list)
    """On/off req/s of runs made back to back (one on/off pair of hubs, one round)."""
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

    def add_pair(self, on: Stats, off: Stats) -> None:
        if off.rps:
            self.pairs.append(on.rps / off.rps)

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
    """Start the hubs, then alternate short load runs between them; rows into ``report``."""
    p = report.params
    servers = {"http": http_server(upstream.url()), "stdio": stdio_server()}
    selected = [r for r in runs(p.concurrency) if r[0][:3] in want]
    rows = [OnOffRow(scenario, path, c) for scenario, path, _, c in selected]
    hubs: list[tuple[Hub, Hub]] = []
    try:
        for _ in range(p.onoff_instances):
            pair = []
            for on in (True, False):
                env = {**p.hub_env} if on else {**p.hub_env, "MCPHUB_DISABLE_PLUGINS": PLUGINS}
                pair.append(await Hub(servers, p.hub_log_level, p.hub_root, env).start())
            hubs.append((pair[0], pair[1]))
        tools: dict[Hub, list[dict[str, Any]]] = {}
        for pair in hubs:
            for on, hub in zip((True, False), pair, strict=True):
                await wait_connected(hub, len(servers), 20 if not p.quick else 10)
                tools[hub] = await catalogue(hub)
                status = await asyncio.to_thread(metrics_status, hub)
                if (status == 404) == on:  # the comparison means nothing if blocking failed
                    raise RuntimeError(
                        f"the plugins-{'on' if on else 'off'} hub: /metrics {status}"
                    )
        if not p.quick:  # a first run each, not counted: imports, caches, the SQLite file
            for hub, listed in tools.items():
                for _, _, server, c in selected:
                    await measure(hub, tool_named(listed, server, "echo"), c, 0.5)
        for round_ in range(p.onoff_rounds):
            for row, (_, _, server, c) in zip(rows, selected, strict=True):
                for index, (on_hub, off_hub) in enumerate(hubs):
                    first_on = (round_ + index) % 2 == 0
                    order = ((True, on_hub), (False, off_hub))
                    got: dict[bool, Stats] = {}
                    for on, hub in order if first_on else order[::-1]:
                        name = tool_named(tools[hub], server, "echo")
                        got[on], cpu = await measure(hub, name, c, p.onoff_duration)
                        row.add(on, got[on], cpu)
                    row.add_pair(got[True], got[False])
    except NotAvailable as exc:
        for row in rows:
            row.note = str(exc)
    finally:
        report.onoff.extend(rows)
        for pair in hubs:
            for hub in pair:
                await hub.stop()


def _f(value: float | None, spec: str) -> str:
    return "" if value is None else format(value, spec)


def onoff_table(rows: list[OnOffRow]) -> list[str]:
    """The side-by-side table ``python -m bench`` prints."""
    out = [
        (
            "| Scenario | Path | C | req/s on | req/s off | on / off | paired | hub CPU ms/call "
            "on | hub CPU ms/call off | CPU on / off | errors | Target | Met |"
        ),
        "|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|---|---|",
    ]
    for row in rows:
        if row.note:
            out.append(f"| {row.scenario} | {row.path} | {row.concurrency} | {row.note} ||||||||||")
            continue
        met = row.met
        out.append(
            f"| {row.scenario} | {row.path} | {row.concurrency} "
            f"| {_f(row.median(row.on_rps), '.0f')} | {_f(row.median(row.off_rps), '.0f')} "
            f"| {_f(row.rps_ratio(), '.3f')} | {_f(row.median(row.pairs), '.3f')} "
            f"| {_f(row.median(row.on_cpu), '.3f')} "
            f"| {_f(row.median(row.off_cpu), '.3f')} | {_f(row.cpu_ratio(), '.3f')} "
            f"| {row.errors}/{row.requests} | within 5 % "
            f"| {'' if met is None else 'yes' if met else '**no**'} |"
        )
    return out
