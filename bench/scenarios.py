"""Scenarios S1-S6 of issue 8; each appends rows to a ``Report`` and never raises.

S1 the bench upstream called directly; S2 hub → HTTP upstream (JSON and SSE replies);
S3 hub → stdio upstream; S4 50 upstreams x 20 tools; S5 500 idle sessions; S6 100 stdio
servers. S2, S3 and S5 share one hub; S4 and S6 start their own, since start-up is what
they measure.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bench.loadgen import HttpError, RPCError, Session, Stats, get_json, list_all, run_load
from bench.procs import (
    ROOT,
    Hub,
    NotAvailable,
    Upstream,
    compile_hub,
    cpu_seconds,
    http_server,
    stdio_server,
)

if TYPE_CHECKING:
    from bench.onoff import OnOffRow
    from bench.realistic import RealRow

log = logging.getLogger(__name__)


@dataclass
class Params:
    """Sizes and durations; ``quick`` shrinks everything to a CI smoke run."""

    quick: bool = False
    duration: float = 5.0
    concurrency: tuple[int, ...] = (1, 16)
    upstreams: int = 50
    tools: int = 20
    sessions: int = 500
    stdio_servers: int = 100
    hub_log_level: str = "WARNING"
    hub_root: Path | None = None
    """Run the hubs from this checkout instead of this one (``bench.compare``)."""
    hub_env: dict[str, str] = field(default_factory=dict)
    """Extra environment of the hubs (``bench.compare --plugins-off`` blocks plugins here)."""
    onoff_rounds: int = 4
    """S2o/S3o: rounds; each measures every on/off pair of hubs once per path and C."""
    onoff_instances: int = 3
    """S2o/S3o: hub processes per side (plugins on, off)."""
    onoff_duration: float = 1.0
    """S2o/S3o: seconds per load run (short, many, alternating)."""

    @classmethod
    def make(cls, quick: bool, **overrides: Any) -> Params:
        if quick:
            base = cls(
                quick=True,
                duration=1.0,
                upstreams=5,
                sessions=50,
                stdio_servers=5,
                onoff_rounds=1,
                onoff_instances=1,
                onoff_duration=0.5,
            )
        else:
            base = cls()
        for key, value in overrides.items():
            if value is not None:
                setattr(base, key, value)
        return base


@dataclass
class LoadRow:
    scenario: str
    path: str
    concurrency: int
    stats: Stats | None = None
    server_cpu_ms: float | None = None
    target: str = ""
    met: bool | None = None
    note: str = ""


@dataclass
class ScaleRow:
    scenario: str
    measure: str
    value: str
    target: str = ""
    met: bool | None = None


@dataclass
class Report:
    params: Params
    load: list[LoadRow] = field(default_factory=list)
    scale: list[ScaleRow] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    baseline: dict[int, Stats] = field(default_factory=dict)
    real: list[RealRow] = field(default_factory=list)
    """S2r/S3r (``bench.realistic``): wrk load, bearer auth, the TypeScript SDK upstream."""
    onoff: list[OnOffRow] = field(default_factory=list)
    """S2o/S3o (``bench.onoff``): activities and metrics on against off."""

    def missing(self, scenario: str, why: str, load: bool = True) -> None:
        if load:
            for c in self.params.concurrency:
                self.load.append(LoadRow(scenario, "-", c, note=why))
        else:
            self.scale.append(ScaleRow(scenario, "-", why))

    def failed(self, scenario: str, exc: BaseException) -> None:
        self.errors.append(f"{scenario}: {type(exc).__name__}: {exc}")
        self.scale.append(ScaleRow(scenario, "error", f"{type(exc).__name__}: {exc}"[:160]))


async def measured(
    pid: int, url: str, method: str, params: dict[str, Any] | None, c: int, p: Params, **kw: Any
) -> tuple[Stats, float]:
    """A load run plus the server's CPU per request (ms), read from /proc."""
    before = cpu_seconds(pid)
    stats = await run_load(url, method, params, concurrency=c, duration=p.duration, **kw)
    used = cpu_seconds(pid) - before
    return stats, 1000.0 * used / max(stats.total, 1)


async def measured_many(
    pids: list[int], url: str, params: dict[str, Any], c: int, p: Params
) -> tuple[Stats, float]:
    """A tools/call load run plus the CPU per request (ms) summed over several servers."""
    before = sum(cpu_seconds(pid) for pid in pids)
    stats = await run_load(url, "tools/call", params, concurrency=c, duration=p.duration)
    used = sum(cpu_seconds(pid) for pid in pids) - before
    return stats, 1000.0 * used / max(stats.total, 1)


def echo(name: str) -> dict[str, Any]:
    return {"name": name, "arguments": {"text": "hello"}}


# ---------------------------------------------------------------------- S1


async def s1_direct(report: Report, upstream: Upstream, sse_upstream: Upstream) -> None:
    p = report.params
    for c in p.concurrency:
        stats, cpu = await measured(upstream.pid, upstream.url(), "tools/call", echo("echo"), c, p)
        report.baseline[c] = stats
        report.load.append(LoadRow("S1 upstream direct", "HTTP JSON", c, stats, cpu))
    c = max(p.concurrency)
    stats, cpu = await measured(
        sse_upstream.pid, sse_upstream.url(), "tools/call", echo("echo"), c, p
    )
    report.load.append(LoadRow("S1 upstream direct", "HTTP SSE", c, stats, cpu))


# ---------------------------------------------------------------------- hub helpers


async def health(hub: Hub) -> dict[str, Any]:
    async with asyncio.timeout(5):
        status, body = await get_json(hub.url + "/health")
    if status != 200 or not isinstance(body, dict):
        raise HttpError(f"/health answered {status}")
    return body


async def wait_connected(hub: Hub, count: int, within: float, every: float = 0.01) -> float:
    """Seconds from the hub's listening line until /health counts ``count`` connected."""
    deadline = time.monotonic() + within
    connected = 0
    while time.monotonic() < deadline:
        body = await health(hub)
        connected = body.get("servers", {}).get("connected", 0)
        if connected >= count:
            return time.monotonic() - hub.listening
        await asyncio.sleep(every)
    raise NotAvailable(
        f"upstream manager not available yet: {connected}/{count} connected after {within:.0f} s"
    )


async def mcp_session(hub: Hub) -> Session:
    """An initialised session on the hub's global /mcp, or NotAvailable if there is none."""
    session = Session(hub.url + "/mcp")
    try:
        await session.initialize()
    except (HttpError, RPCError, ValueError) as exc:
        session.close()
        raise NotAvailable(f"MCP endpoint not available yet: {exc}"[:160]) from exc
    return session


def tool_named(tools: list[dict[str, Any]], server: str, tool: str) -> str:
    """The hub's name for ``tool`` of ``server`` (prefixed with the separator it uses)."""
    for item in tools:
        name = item["name"]
        if name.startswith(server) and name.endswith(tool) and len(name) <= len(server) + 8:
            return str(name)
    raise NotAvailable(f"{server}: tool {tool} not in the hub catalogue")


async def guarded(report: Report, scenario: str, body: Callable[[], Awaitable[None]]) -> None:
    """Run one scenario; missing parts become a row, anything else an error row."""
    try:
        await body()
    except NotAvailable as exc:
        report.missing(scenario, str(exc), load=scenario[:2] in ("S2", "S3"))
    except Exception as exc:
        log.exception("%s failed", scenario)
        report.failed(scenario, exc)


# ---------------------------------------------------------------------- S2, S3, S5


async def hub_scenarios(report: Report, upstream: Upstream, sse_upstream: Upstream) -> None:
    p = report.params
    hub = await Hub(
        {
            "http": http_server(upstream.url()),
            "httpsse": http_server(sse_upstream.url()),
            "stdio": stdio_server(),
        },
        p.hub_log_level,
        p.hub_root,
        p.hub_env,
    ).start()
    try:
        try:
            await wait_connected(hub, 3, 20 if not p.quick else 10)
            ready = ""
        except NotAvailable as exc:
            ready = str(exc)
        await guarded(report, "S5 sessions", lambda: s5_sessions(report, hub))
        tools: list[dict[str, Any]] = []

        async def catalogue() -> None:
            session = await mcp_session(hub)
            try:
                tools.extend(await list_all(session))
            finally:
                session.close()

        if not ready:
            await guarded(report, "S2 hub → HTTP", catalogue)
        if tools:
            await guarded(report, "S2 hub → HTTP", lambda: s23_load(report, hub, tools, "S2"))
            await guarded(report, "S3 hub → stdio", lambda: s23_load(report, hub, tools, "S3"))
        else:
            if ready:
                report.missing("S2 hub → HTTP", ready)
            report.missing("S3 hub → stdio", ready or "no catalogue (see S2)")
    finally:
        await hub.stop()


async def s23_load(report: Report, hub: Hub, tools: list[dict[str, Any]], which: str) -> None:
    p = report.params
    runs = [("http", "HTTP JSON", c) for c in p.concurrency]
    runs.append(("httpsse", "HTTP, upstream SSE", max(p.concurrency)))
    if which == "S3":
        runs = [("stdio", "stdio", c) for c in p.concurrency]
    for server, path, c in runs:
        name = tool_named(tools, server, "echo")
        stats, cpu = await measured(hub.pid, hub.url + "/mcp", "tools/call", echo(name), c, p)
        row = LoadRow(f"{which} hub → {'stdio' if which == 'S3' else 'HTTP'}", path, c, stats, cpu)
        base = report.baseline.get(c)
        if which == "S2" and server == "http" and c == 1 and base:
            added = stats.pct(0.5) - base.pct(0.5)
            row.target, row.met = "+p50 ≤ 1.5 ms", added <= 1.5
        elif which == "S2" and server == "http" and c == 16:
            row.target, row.met = "≥ 700 req/s", stats.rps >= 700
        elif which == "S3" and c == 16:
            row.target, row.met = "≥ 900 req/s", stats.rps >= 900
        report.load.append(row)


async def s5_sessions(report: Report, hub: Hub) -> None:
    """RSS per idle session and initialisation rate, over 16 keep-alive connections."""
    p = report.params
    n, width = p.sessions, 16
    warm = [Session(hub.url + "/mcp") for _ in range(width)]
    try:
        await asyncio.gather(*(s.initialize() for s in warm))
    except (HttpError, RPCError, ValueError) as exc:
        raise NotAvailable(f"MCP endpoint not available yet: {exc}"[:160]) from exc
    for s in warm:
        await s.delete()
    await asyncio.sleep(0.2)
    before = hub.rss_kb()
    ids: list[list[str]] = [[] for _ in range(width)]

    async def opener(i: int, count: int) -> None:
        for _ in range(count):
            await warm[i].initialize()
            ids[i].append(warm[i].session_id or "")

    share = [n // width + (1 if i < n % width else 0) for i in range(width)]
    t0 = time.perf_counter()
    await asyncio.gather(*(opener(i, share[i]) for i in range(width)))
    elapsed = time.perf_counter() - t0
    await asyncio.sleep(0.2)
    per = (hub.rss_kb() - before) / n
    rate = n / elapsed
    report.scale.append(
        ScaleRow(
            "S5 sessions", f"RSS per idle session ({n})", f"{per:.1f} KiB", "≤ 20 KB", per <= 20
        )
    )
    report.scale.append(
        ScaleRow(
            "S5 sessions",
            "initialize + initialized rate",
            f"{rate:.0f} /s",
            "≥ 500 /s",
            rate >= 500,
        )
    )
    for i, s in enumerate(warm):
        for sid in ids[i]:
            s.session_id = sid
            await s.delete()
        s.close()


# ---------------------------------------------------------------------- S4


async def s4_catalogue(report: Report) -> None:
    p = report.params
    n, t = p.upstreams, p.tools
    upstream = await Upstream(servers=n, tools=t).start()
    hub = None
    try:
        hub = await Hub(
            {f"u{i}": http_server(upstream.url(i)) for i in range(n)},
            p.hub_log_level,
            p.hub_root,
            p.hub_env,
        ).start()
        startup = hub.listening - hub.spawned
        connected = await wait_connected(hub, n, 30)
        report.scale.append(
            ScaleRow(f"S4 {n}x{t}", "hub spawn → listening (imports)", f"{startup:.2f} s")
        )
        report.scale.append(
            ScaleRow(f"S4 {n}x{t}", f"listening → {n} upstreams connected", f"{connected:.2f} s")
        )
        report.scale.append(
            ScaleRow(
                f"S4 {n}x{t}",
                f"hub spawn → {n} upstreams connected",
                f"{startup + connected:.2f} s",
                "≤ 1.5 s",
                startup + connected <= 1.5,
            )
        )
        session = await mcp_session(hub)
        try:
            tools = await list_all(session)
        finally:
            session.close()
        if len(tools) != n * t:
            raise RuntimeError(f"tools/list returned {len(tools)} tools, expected {n * t}")
        stats, _ = await measured(
            hub.pid, hub.url + "/mcp", "tools/list", None, 1, p, all_pages=True
        )
        if stats.errors:
            raise RuntimeError(f"tools/list errors: {stats.first_error}")
        p50 = stats.pct(0.5)
        report.scale.append(
            ScaleRow(
                f"S4 {n}x{t}",
                f"tools/list p50 ({n * t} tools, all pages)",
                f"{p50:.2f} ms",
                "≤ 3 ms",
                p50 <= 3,
            )
        )
        rss = hub.rss_kb() / 1024
        report.scale.append(
            ScaleRow(f"S4 {n}x{t}", "hub RSS", f"{rss:.1f} MiB", "≤ 80 MB", rss <= 80)
        )
    finally:
        if hub is not None:
            await hub.stop()
        await upstream.stop()


# ---------------------------------------------------------------------- S6


async def s6_stdio(report: Report) -> None:
    p = report.params
    n = p.stdio_servers
    hub = await Hub({f"s{i}": stdio_server() for i in range(n)}, p.hub_log_level).start()
    try:
        first = None
        worst = 0.0
        connected = 0
        deadline = time.monotonic() + (60 if not p.quick else 20)
        while time.monotonic() < deadline:
            t0 = time.monotonic()
            body = await health(hub)
            worst = max(worst, time.monotonic() - t0)
            if first is None:
                first = time.monotonic() - hub.spawned
            connected = body.get("servers", {}).get("connected", 0)
            if connected >= n:
                break
            await asyncio.sleep(0.05)
        total = time.monotonic() - hub.spawned
        scenario = f"S6 {n} stdio"
        report.scale.append(
            ScaleRow(
                scenario, "hub spawn → listening (imports)", f"{hub.listening - hub.spawned:.2f} s"
            )
        )
        answered = first if first is not None else float("inf")
        report.scale.append(
            ScaleRow(
                scenario,
                "listening → first /health answer",
                f"{(answered - (hub.listening - hub.spawned)) * 1000:.0f} ms",
            )
        )
        report.scale.append(
            ScaleRow(
                scenario,
                "hub spawn → first /health answer",
                f"{answered * 1000:.0f} ms",
                "≤ 1 s",
                answered <= 1.0,
            )
        )
        report.scale.append(
            ScaleRow(scenario, "slowest /health while connecting", f"{worst * 1000:.0f} ms")
        )
        if connected < n:
            raise NotAvailable(f"upstream manager not available yet: {connected}/{n} connected")
        report.scale.append(
            ScaleRow(
                scenario, f"hub spawn → {n} connected", f"{total:.2f} s", "≤ 15 s", total <= 15
            )
        )
        report.scale.append(ScaleRow(scenario, "hub RSS", f"{hub.rss_kb() / 1024:.1f} MiB"))
    finally:
        await hub.stop()


async def run_all(p: Params, only: set[str] | None = None) -> Report:
    report = Report(p)
    want = (lambda s: True) if not only else (lambda s: s in only)
    compile_hub(p.hub_root or ROOT)
    upstream = await Upstream().start()
    sse_upstream = await Upstream(sse=True).start()
    try:
        await guarded(
            report, "S1 upstream direct", lambda: s1_direct(report, upstream, sse_upstream)
        )
        if want("S2") or want("S3") or want("S5"):
            await guarded(report, "S2 hub", lambda: hub_scenarios(report, upstream, sse_upstream))
        onoff = {s for s in ("S2o", "S3o") if want(s)}
        if onoff:
            from bench.onoff import onoff as run_onoff

            await guarded(report, "S2o/S3o", lambda: run_onoff(report, upstream, onoff))
        if want("S2x"):
            from bench.scale_out import SCENARIO, scale_out

            await guarded(report, SCENARIO, lambda: scale_out(report, upstream))
    finally:
        await upstream.stop()
        await sse_upstream.stop()
    if want("S2r") or want("S3r"):
        from bench.realistic import run_real

        await guarded(report, "S2r/S3r", lambda: run_real(report, want("S2r"), want("S3r")))
    if want("S4"):
        await guarded(report, "S4 catalogue", lambda: s4_catalogue(report))
    if want("S6"):
        await guarded(report, "S6 stdio", lambda: s6_stdio(report))
    return report
