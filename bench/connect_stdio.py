"""How fast a hub with many stdio upstreams serves and connects them all.

Starts a real hub (temporary data dir, 127.0.0.1, free port) whose first-start settings
hold N stdio servers, then prints the time from start to the first ``/health`` answer and
to ``/health`` reporting every server connected, plus the time to stop (every child gone).

    .venv/bin/python bench/connect_stdio.py [-n 100] [--concurrency 8] [--sdk]

``--sdk`` runs ``tests.upstreams.everything`` (imports the SDK, ~1.5 s of CPU each) instead
of the stdlib-only ``bench/tiny_stdio.py``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import httpx2

from hub.app import Hub, HubOptions
from hub.server import HubServer

ROOT = Path(__file__).resolve().parent.parent


def settings(n: int, concurrency: int, sdk: bool) -> dict[str, object]:
    servers = {}
    for i in range(n):
        name = f"s{i:03d}"
        args = (
            ["-m", "tests.upstreams.everything", "--name", name]
            if sdk
            else [
                str(ROOT / "bench" / "tiny_stdio.py"),
                name,
            ]
        )
        servers[name] = {"command": sys.executable, "args": args, "cwd": str(ROOT)}
    return {
        "mcpServers": servers,
        "systemConfig": {"upstreams": {"connectConcurrency": concurrency}},
    }


async def run(n: int, concurrency: int, sdk: bool) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "mcp_settings.json"
        path.write_text(json.dumps(settings(n, concurrency, sdk)))
        options = HubOptions(
            data_dir=Path(tmp) / "data", port=0, settings_path=path, admin_password="Bench!pw123"
        )
        server = HubServer(options, hub=Hub(options))
        t0 = time.perf_counter()
        await server.start()
        started = time.perf_counter() - t0
        first_health = all_connected = None
        async with httpx2.AsyncClient(base_url=f"http://{server.address}", timeout=30) as client:
            while time.perf_counter() - t0 < 300:
                r = await client.get("/health")
                now = time.perf_counter() - t0
                if first_health is None:
                    first_health = now
                if r.json()["servers"]["connected"] == n:
                    all_connected = now
                    break
                await asyncio.sleep(0.02)
        t1 = time.perf_counter()
        await server.stop()
        stopped = time.perf_counter() - t1
    kind = "tests.upstreams.everything (SDK)" if sdk else "bench/tiny_stdio.py (stdlib)"
    print(f"servers: {n} x {kind}, connect concurrency {concurrency}, cpus {os.cpu_count()}")
    print(f"hub.start() returned after     {started * 1000:8.1f} ms")
    print(f"first /health answer after     {(first_health or 0) * 1000:8.1f} ms")
    print(f"  of which after listening     {((first_health or 0) - started) * 1000:8.1f} ms")
    if all_connected is None:
        print("not all servers connected within 300 s")
    else:
        print(f"all {n} connected after        {all_connected:8.2f} s")
        print(f"per server (wall / n)          {all_connected / n * 1000:8.1f} ms")
    print(f"stop (all children gone) took  {stopped:8.2f} s")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("-n", type=int, default=100)
    p.add_argument("--concurrency", type=int, default=8)
    p.add_argument("--sdk", action="store_true")
    args = p.parse_args()
    asyncio.run(run(args.n, args.concurrency, args.sdk))


if __name__ == "__main__":
    main()
