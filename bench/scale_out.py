"""S2 scaled out: hubs on one PostgreSQL database behind a loopback load balancer.

Three runs of S2's tools/call ``echo`` over HTTP at the highest concurrency: one hub reached
directly, one hub behind the balancer (what the balancer itself costs), two hubs behind it.
Needs PostgreSQL at ``MCPHUB_BENCH_PG`` (default 127.0.0.1:5432, trust auth, database
``test`` to create a scratch database from); without it the rows say why.
"""

from __future__ import annotations

import os
import uuid
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from bench.balancer import Balancer
from bench.procs import Hub, Upstream, http_server

if TYPE_CHECKING:
    from bench.scenarios import Report

PG = os.environ.get("MCPHUB_BENCH_PG", "127.0.0.1:5432")
SCENARIO = "S2x scale-out"


async def _database() -> tuple[str, Any]:
    import asyncpg

    last: Exception | None = None
    for user in ("postgres", "root"):
        try:
            admin = await asyncpg.connect(f"postgresql://{user}@{PG}/test")
        except (OSError, asyncpg.PostgresError) as exc:
            last = exc
            continue
        name = f"mcphub_bench_{uuid.uuid4().hex}"
        await admin.execute(f'CREATE DATABASE "{name}"')
        return f"postgresql://{user}@{PG}/{name}", admin
    raise RuntimeError(f"no PostgreSQL at {PG}: {last}")


def _backend(hub: Hub) -> tuple[str, int]:
    parts = urlsplit(hub.url)
    return parts.hostname or "127.0.0.1", parts.port or 80


async def scale_out(report: Report, upstream: Upstream) -> None:
    from bench.loadgen import Session, list_all
    from bench.scenarios import LoadRow, ScaleRow, measured_many, tool_named, wait_connected

    p = report.params
    c = max(p.concurrency)
    url, admin = await _database()
    hubs: list[Hub] = []
    balancers: list[Balancer] = []
    try:
        env = {"DB_URL": url, "MCPHUB_STORE": ""}
        for _ in range(2):  # one after the other: the first imports the settings file
            hub = Hub({"http": http_server(upstream.url())}, p.hub_log_level, None, env)
            hubs.append(await hub.start())
            await wait_connected(hub, 1, 20 if not p.quick else 10)
        session = Session(hubs[0].url + "/mcp")
        await session.initialize()
        name = tool_named(await list_all(session), "http", "echo")
        session.close()
        params = {"name": name, "arguments": {"text": "hello"}}
        one_lb = await Balancer([_backend(hubs[0])]).start()
        two_lb = await Balancer([_backend(h) for h in hubs]).start()
        balancers += [one_lb, two_lb]
        rows = [
            ("1 hub (PostgreSQL), direct", hubs[0].url, [hubs[0]]),
            ("1 hub (PostgreSQL), via balancer", one_lb.url, [hubs[0]]),
            ("2 hubs (PostgreSQL), via balancer", two_lb.url, hubs),
        ]
        results = {}
        for label, base, measured_hubs in rows:
            stats, cpu = await measured_many(
                [h.pid for h in measured_hubs], base + "/mcp", params, c, p
            )
            results[label] = stats
            report.load.append(LoadRow(SCENARIO, label, c, stats, cpu))
        one = results[rows[1][0]].rps
        two = results[rows[2][0]].rps
        ratio = two / one if one else 0.0
        report.scale.append(
            ScaleRow(
                SCENARIO,
                f"req/s of 2 hubs / 1 hub, both via the balancer, C={c} "
                f"(connections per hub {two_lb.connections})",
                f"{ratio:.2f}x",
            )
        )
    finally:
        for balancer in balancers:
            await balancer.stop()
        for hub in hubs:
            await hub.stop()
        name = url.rsplit("/", 1)[1]
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()
