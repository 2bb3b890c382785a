"""The bench upstream is a real MCP server for the SDK client, and the load generator counts
right. No timings are asserted: performance is measured by ``python -m bench``."""

from __future__ import annotations

import asyncio
import os
import shutil
import sys
import urllib.error
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from mcp.client.session import ClientSession
from mcp.client.stdio import StdioServerParameters, stdio_client
from mcp.client.streamable_http import streamable_http_client

from bench.loadgen import RPCError, Session, list_all, run_load
from bench.procs import ROOT, Hub, Upstream
from bench.scenarios import Params, Report


@pytest.fixture
async def upstream() -> AsyncIterator[Upstream]:
    up = await Upstream(servers=3, tools=5).start()
    yield up
    await up.stop()


async def test_sdk_client_lists_and_calls_a_virtual_server(upstream: Upstream) -> None:
    async with (
        streamable_http_client(upstream.url(2)) as (read, write),
        ClientSession(read, write) as session,
    ):
        init = await session.initialize()
        assert init.server_info.name == "bench-s2"
        listed = await session.list_tools()
        assert [t.name for t in listed.tools] == ["echo", "add", "tool2", "tool3", "tool4"]
        added = await session.call_tool("add", {"a": 2, "b": 40})
        assert added.content[0].text == "42"  # type: ignore[union-attr]


async def test_sdk_client_over_stdio() -> None:
    params = StdioServerParameters(
        command=sys.executable,
        args=["-m", "bench.upstream", "--transport", "stdio", "--tools", "20"],
        cwd=str(ROOT),
    )
    async with stdio_client(params) as (read, write), ClientSession(read, write) as session:
        await session.initialize()
        assert len((await session.list_tools()).tools) == 20
        echoed = await session.call_tool("echo", {"text": "over stdio"})
        assert echoed.content[0].text == "over stdio"  # type: ignore[union-attr]


async def test_loadgen_counts_requests_and_errors(upstream: Upstream) -> None:
    ok = await run_load(
        upstream.url(),
        "tools/call",
        {"name": "echo", "arguments": {"text": "x"}},
        concurrency=2,
        duration=0.3,
        warmup=0.05,
    )
    assert ok.requests > 10 and ok.errors == 0 and len(ok.latencies) == ok.requests
    bad = await run_load(
        upstream.url(),
        "tools/call",
        {"name": "missing", "arguments": {}},
        concurrency=1,
        duration=0.2,
        warmup=0.0,
    )
    assert bad.requests > 0 and bad.errors == bad.requests
    assert "Unknown tool" in bad.first_error


async def test_sse_replies_and_sessions(upstream: Upstream) -> None:
    sse = await Upstream(sse=True).start()
    try:
        session = Session(sse.url())
        await session.initialize()
        assert session.session_id
        assert [t["name"] for t in await list_all(session)] == ["echo", "add"]
        assert await session.delete() == 200
        session.session_id = "gone"
        session._head = session._make_head()
        with pytest.raises(Exception, match="404"):
            await session.call("tools/list")
        session.close()
    finally:
        await sse.stop()
    plain = Session(upstream.url(1))
    await plain.initialize()
    with pytest.raises(RPCError, match="-32601"):
        await plain.call("no/such/method")
    plain.close()


async def test_the_bench_balancer_spreads_connections_round_robin() -> None:
    from bench.balancer import Balancer

    async def answer(tag: bytes) -> asyncio.Server:
        async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            await reader.readline()
            writer.write(tag + b"\n")
            await writer.drain()
            writer.close()

        return await asyncio.start_server(handle, "127.0.0.1", 0)

    servers = [await answer(b"a"), await answer(b"b")]
    backends = [("127.0.0.1", s.sockets[0].getsockname()[1]) for s in servers]
    balancer = await Balancer(backends).start()
    try:
        seen = []
        for _ in range(4):
            reader, writer = await asyncio.open_connection("127.0.0.1", balancer.port)
            writer.write(b"hi\n")
            await writer.drain()
            seen.append((await reader.readline()).strip())
            writer.close()
            await writer.wait_closed()
        assert seen == [b"a", b"b", b"a", b"b"]
        assert balancer.connections == [2, 2]
    finally:
        await balancer.stop()
        for server in servers:
            server.close()
            await server.wait_closed()


# ---------------------------------------------------------------------- S2r, S3r (wrk)


@pytest.fixture
def wrk_and_node() -> None:
    """S2r/S3r need Debian's ``wrk`` and Node >= 18; ``.ci/run`` installs wrk and sets
    ``MCPHUB_REQUIRE_WRK``, so there a missing one fails instead of skipping."""
    missing = [name for name in ("wrk", "node") if not shutil.which(name)]
    if missing:
        message = f"{' and '.join(missing)} not installed (apt-get install -y wrk nodejs npm)"
        if os.environ.get("MCPHUB_REQUIRE_WRK"):
            pytest.fail(message + " (MCPHUB_REQUIRE_WRK is set, so this is a failure)")
        pytest.skip(message)


@pytest.mark.usefixtures("wrk_and_node")
async def test_s2r_and_s3r_measure_the_hub_and_the_ts_upstream_side_by_side() -> None:
    from bench.realistic import run_real

    report = Report(Params.make(True, duration=1.0))
    await run_real(report, want_http=True, want_stdio=True)
    assert not report.errors
    rows = {(r.scenario[:3], r.concurrency): r for r in report.real}
    assert set(rows) == {("S2r", 1), ("S2r", 16), ("S3r", 1), ("S3r", 16)}
    for (scenario, _), row in rows.items():
        assert row.hub is not None and row.hub.requests > 0 and row.hub.errors == 0
        assert row.hub.cpu_ms is not None and row.hub.cpu_ms > 0
        assert row.hub.p50 > 0
        if scenario == "S2r":
            assert row.direct is not None and row.direct.requests > 0 and row.direct.errors == 0
            assert row.ratio() is not None and row.added_p50() is not None and row.target
        else:
            assert row.direct is None


@pytest.mark.usefixtures("wrk_and_node")
async def test_wrk_counts_every_failed_reply_on_the_ts_upstream() -> None:
    from bench.ts_upstream import TsUpstream
    from bench.wrk_load import SharedSession, run_wrk

    upstream = await TsUpstream().start()
    try:
        session = await asyncio.to_thread(SharedSession(upstream.url()).open)
        assert session.session_id == ""  # stateless: no session to share
        assert await asyncio.to_thread(session.tool_names) == ["echo", "add"]
        bad = await run_wrk(session, "no-such-tool", 2, 1.0, upstream.pid)
        assert bad.requests > 0 and bad.failures == bad.requests
        assert "no-such-tool" in bad.first_failure
        assert bad.cpu_ms is not None and bad.cpu_ms > 0
    finally:
        await upstream.stop()


async def test_the_realistic_hub_demands_the_imported_bearer_key_at_default_logging() -> None:
    from bench.realistic import settings
    from bench.wrk_load import SharedSession

    token = "mcphub-bench-test-token-0123456789"
    hub = await Hub({}, None, settings=settings(token)).start()
    try:
        environ = (await asyncio.to_thread(Path(f"/proc/{hub.pid}/environ").read_bytes)).split(
            b"\0"
        )
        assert not [v for v in environ if v.startswith(b"LOG_LEVEL=")]
        with pytest.raises(urllib.error.HTTPError, match="401"):
            await asyncio.to_thread(SharedSession(hub.url + "/mcp").open)
        with pytest.raises(urllib.error.HTTPError, match="401"):
            await asyncio.to_thread(SharedSession(hub.url + "/mcp", token + "x").open)
        session = await asyncio.to_thread(SharedSession(hub.url + "/mcp", token).open)
        assert session.session_id
        assert await asyncio.to_thread(session.tool_names) == []
    finally:
        await hub.stop()


async def test_s2o_and_s3o_put_the_hub_with_activities_and_metrics_beside_one_without() -> None:
    """Both sides measured in alternating rounds over two processes a side, the off side
    really without the plugins (``onoff`` checks ``/metrics`` on each and raises
    otherwise), each pair's runs back to back, and the table rendered."""
    from bench.onoff import onoff, onoff_table

    report = Report(
        Params.make(True, concurrency=(1,), onoff_rounds=2, onoff_instances=2, onoff_duration=0.3)
    )
    upstream = await Upstream().start()
    try:
        await onoff(report, upstream, {"S2o", "S3o"})
    finally:
        await upstream.stop()
    assert not report.errors
    assert [(r.scenario[:3], r.concurrency) for r in report.onoff] == [("S2o", 1), ("S3o", 1)]
    for row in report.onoff:
        assert not row.note and row.errors == 0 and row.requests > 0
        assert len(row.on_rps) == len(row.off_rps) == len(row.pairs) == 4  # 2 rounds x 2 pairs
        assert row.median(row.pairs) is not None
        assert all(cpu > 0 for cpu in row.on_cpu + row.off_cpu)
        assert row.rps_ratio() is not None and row.met is not None
    table = onoff_table(report.onoff)
    assert (
        len(table) == 4
        and "within 5 %" in table[2]
        and "| S3o hub → stdio | stdio | 1 |" in table[3]
    )
