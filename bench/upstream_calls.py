"""Cost of a tools/call through the upstream manager against the SDK's own client.

Both sides call the same stdlib stdio server (``bench/tiny_stdio.py``) sequentially and
with 20 concurrent callers; the ratio shows what the manager's routing, timeout scope and
raw-dict results add or save compared with ``ClientSession.call_tool``.

    .venv/bin/python bench/upstream_calls.py [-n 2000]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

from mcp import ClientSession, StdioServerParameters, stdio_client

from hub.app import Hub, HubOptions
from hub.config.models import ServerConfig
from hub.upstream.state import Status

TINY = str(Path(__file__).resolve().parent / "tiny_stdio.py")


async def rate(call: Callable[[], Awaitable[object]], n: int, concurrency: int) -> float:
    """Calls per second for ``n`` calls spread over ``concurrency`` callers."""

    async def worker(count: int) -> None:
        for _ in range(count):
            await call()

    await worker(50)  # warm up
    start = time.perf_counter()
    await asyncio.gather(*(worker(n // concurrency) for _ in range(concurrency)))
    return (n // concurrency * concurrency) / (time.perf_counter() - start)


async def run(n: int) -> None:
    params = StdioServerParameters(command=sys.executable, args=[TINY, "direct"])
    async with stdio_client(params) as (r, w), ClientSession(r, w) as session:
        await session.initialize()
        await session.list_tools()
        sdk = [await rate(lambda: session.call_tool("hello", {}), n, c) for c in (1, 20)]

    with tempfile.TemporaryDirectory() as tmp:
        options = HubOptions(data_dir=Path(tmp), port=0, admin_password="Bench!pw123")
        hub = Hub(options)
        await hub.start()
        try:
            config = ServerConfig(command=sys.executable, args=[TINY, "hub"])
            await hub.config.put_server("t", config, create=True)
            while hub.upstreams.state("t").status is not Status.CONNECTED:  # noqa: ASYNC110
                await asyncio.sleep(0.01)
            mgr = hub.upstreams
            via = [await rate(lambda: mgr.call_tool("t", "hello", {}), n, c) for c in (1, 20)]
        finally:
            await hub.stop()
    for label, i in (("sequential", 0), ("20 concurrent", 1)):
        print(
            f"{label:14} SDK ClientSession.call_tool {sdk[i]:7.0f}/s   "
            f"hub.upstream.manager.call_tool {via[i]:7.0f}/s   ratio {via[i] / sdk[i]:.2f}"
        )


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("-n", type=int, default=2000)
    asyncio.run(run(p.parse_args().n))


if __name__ == "__main__":
    main()
