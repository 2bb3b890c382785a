"""What the hub's MCP endpoint adds: tools/call via the hub vs the same upstream directly.

One bench upstream (JSON replies) and one ``mcphub serve`` in front of it; both are driven by
the raw keep-alive load generator with 1 and 16 sessions. Then tools/list with 1000 tools,
the hub serving its pre-serialised view vs the upstream listing directly. Prints ratios.

``python -m bench.mcp_overhead [-d 5] [-c 1 16] [--tools 1000]``
"""

from __future__ import annotations

import argparse
import asyncio
import json
from typing import Any

from bench.loadgen import Session, Stats, list_all, run_load
from bench.procs import Hub, Upstream, cpu_seconds, http_server


async def measure(
    pid: int, url: str, method: str, params: dict[str, Any] | None, c: int, seconds: float
) -> tuple[Stats, float]:
    """Load stats and the server's CPU milliseconds per counted request."""
    before = cpu_seconds(pid)
    stats = await run_load(url, method, params, concurrency=c, duration=seconds)
    spent = cpu_seconds(pid) - before
    return stats, 1000.0 * spent / max(stats.total, 1)


def row(label: str, c: int, stats: Stats, cpu_ms: float) -> str:
    return (
        f"{label:<28} C={c:<3} {stats.rps:8.1f} req/s  p50 {stats.pct(0.5):7.2f} ms  "
        f"p99 {stats.pct(0.99):7.2f} ms  cpu {cpu_ms:5.2f} ms/req  errors {stats.errors}"
    )


async def hub_tool(hub: Hub, server: str, tool: str) -> str:
    session = Session(hub.url + "/mcp")
    await session.initialize()
    try:
        names = [t["name"] for t in await list_all(session)]
    finally:
        session.close()
    wanted = f"{server}-{tool}"
    if wanted not in names:
        raise SystemExit(f"hub does not list {wanted}")
    return wanted


async def wait_listed(hub: Hub, server: str, count: int) -> None:
    async with asyncio.timeout(30):
        while True:
            session = Session(hub.url + "/mcp")
            try:
                await session.initialize()
                tools = await list_all(session)
                if sum(1 for t in tools if t["name"].startswith(server + "-")) >= count:
                    return
            except (OSError, ValueError):
                pass
            finally:
                session.close()
            await asyncio.sleep(0.1)


async def main(seconds: float, levels: list[int], list_tools: int) -> dict[str, Any]:
    small = await Upstream(tools=2).start()
    big = await Upstream(tools=list_tools).start()
    hub = None
    out: dict[str, Any] = {"call": {}, "list": {}}
    try:
        hub = await Hub({"up": http_server(small.url()), "big": http_server(big.url())}).start()
        await wait_listed(hub, "big", list_tools)
        name = await hub_tool(hub, "up", "echo")
        echo_direct = {"name": "echo", "arguments": {"text": "hello"}}
        echo_hub = {"name": name, "arguments": {"text": "hello"}}
        print(f"tools/call echo, JSON replies, {seconds:g} s per run")
        for c in levels:
            direct, d_cpu = await measure(
                small.pid, small.url(), "tools/call", echo_direct, c, seconds
            )
            via, h_cpu = await measure(
                hub.pid, hub.url + "/mcp", "tools/call", echo_hub, c, seconds
            )
            print(row("direct to upstream", c, direct, d_cpu))
            print(row("through the hub", c, via, h_cpu))
            ratio = via.rps / direct.rps if direct.rps else 0.0
            added = via.pct(0.5) - direct.pct(0.5)
            print(f"{'':28} hub/direct throughput {ratio:.2f}, added p50 {added:+.2f} ms")
            out["call"][c] = {"direct": direct.summary(), "hub": via.summary(), "ratio": ratio}
        print(f"\ntools/list, {list_tools} tools (hub: every page of its merged view)")
        for c in levels:
            direct, d_cpu = await measure(big.pid, big.url(), "tools/list", None, c, seconds)
            via, h_cpu = await run_list(hub, c, seconds)
            print(row("direct to upstream", c, direct, d_cpu))
            print(row("through the hub", c, via, h_cpu))
            ratio = via.rps / direct.rps if direct.rps else 0.0
            print(f"{'':28} hub/direct throughput {ratio:.2f}")
            out["list"][c] = {"direct": direct.summary(), "hub": via.summary(), "ratio": ratio}
    finally:
        if hub is not None:
            await hub.stop()
        await small.stop()
        await big.stop()
    return out


async def run_list(hub: Hub, c: int, seconds: float) -> tuple[Stats, float]:
    before = cpu_seconds(hub.pid)
    stats = await run_load(
        hub.url + "/mcp", "tools/list", None, concurrency=c, duration=seconds, all_pages=True
    )
    return stats, 1000.0 * (cpu_seconds(hub.pid) - before) / max(stats.total, 1)


def cli() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("-d", "--duration", type=float, default=5.0)
    p.add_argument("-c", "--concurrency", type=int, nargs="+", default=[1, 16])
    p.add_argument("--tools", type=int, default=1000)
    p.add_argument("--json", action="store_true", help="print the figures as JSON at the end")
    args = p.parse_args()
    figures = asyncio.run(main(args.duration, args.concurrency, args.tools))
    if args.json:
        print(json.dumps(figures, indent=2))


if __name__ == "__main__":
    cli()
