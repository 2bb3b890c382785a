"""Faults with stdio upstreams: crashes, hangs, and no process left behind."""

from __future__ import annotations

import asyncio
import os
import signal
import time
import uuid
from pathlib import Path

import httpx2
import pytest

from hub.app import Hub, HubOptions
from hub.config.models import CallOptions, ServerConfig
from hub.errors import UpstreamError
from hub.server import HubServer
from hub.upstream.state import Status
from tests.upstreams_fixtures import (
    PY,
    ROOT,
    TINY,
    alive,
    child_pid,
    everything_args,
    wait_for,
    wait_status,
    with_marker,
)


def tiny(marker: str) -> ServerConfig:
    return ServerConfig(command=PY, args=[TINY, marker])


@pytest.mark.slow
async def test_kill_9_reconnects_while_others_keep_working(hub_server: HubServer) -> None:
    hub = hub_server.hub
    marker = f"victim-{uuid.uuid4().hex[:8]}"
    config = ServerConfig(command=PY, args=everything_args(marker), cwd=str(ROOT))
    await hub.config.put_server("victim", config, create=True)
    await hub.config.put_server("other", tiny("other"), create=True)
    await wait_status(hub, "victim", Status.CONNECTED)
    await wait_status(hub, "other", Status.CONNECTED)
    first = child_pid(marker)

    os.kill(first, signal.SIGKILL)
    went_down = await wait_for(
        lambda: hub.upstreams.state("victim").status is not Status.CONNECTED, 2
    )
    assert went_down < 2
    assert "exited" in (hub.upstreams.state("victim").error or "")
    with pytest.raises(UpstreamError):
        await hub.upstreams.call_tool("victim", "echo", {"text": "x"})

    calls = 0

    async def other_calls() -> None:
        nonlocal calls
        while True:
            result = await hub.upstreams.call_tool("other", "hello")
            assert result["content"][0]["text"] == "hello from other"
            calls += 1
            await asyncio.sleep(0.05)  # paces the background load; not a wait

    background = asyncio.create_task(other_calls())
    try:
        await wait_status(hub, "victim", Status.CONNECTED, within=10)
    finally:
        background.cancel()
        with pytest.raises(asyncio.CancelledError):
            await background
    assert calls > 3
    assert child_pid(marker) != first
    result = await hub.upstreams.call_tool("victim", "echo", {"text": "back"})
    assert result["structuredContent"] == {"text": "back"}


async def test_hung_call_times_out_and_cancels_upstream(
    hub_server: HubServer, tmp_path: Path
) -> None:
    hub = hub_server.hub
    events = tmp_path / "hang-events.txt"
    hang = ServerConfig(
        command=PY,
        args=["-m", "tests.upstreams.hang"],
        cwd=str(ROOT),
        env={"UPSTREAM_EVENTS_FILE": str(events)},
        options=CallOptions(timeout=500),
    )
    await hub.config.put_server("hang", hang, create=True)
    await hub.config.put_server("other", tiny("other"), create=True)
    await wait_status(hub, "hang", Status.CONNECTED)
    await wait_status(hub, "other", Status.CONNECTED)

    start = time.monotonic()
    hung = asyncio.create_task(hub.upstreams.call_tool("hang", "hang"))
    other = await hub.upstreams.call_tool("other", "hello")
    assert other["content"][0]["text"] == "hello from other"
    assert time.monotonic() - start < 0.5  # answered while the hung call waits
    with pytest.raises(UpstreamError, match="timed out after"):
        await hung
    assert 0.45 < time.monotonic() - start < 5
    await wait_for(lambda: any(e.startswith("cancelled") for e in _lines(events)), 5)
    # The upstream and its session are still fine.
    assert (await hub.upstreams.call_tool("hang", "ping_tool"))["content"][0]["text"] == "pong"
    assert hub.upstreams.state("hang").status is Status.CONNECTED


def _lines(path: Path) -> list[str]:
    return path.read_text().splitlines() if path.exists() else []


@pytest.mark.slow
async def test_delete_and_disable_leave_no_process(hub_server: HubServer) -> None:
    hub = hub_server.hub
    spawned: dict[str, tuple[int, int]] = {}
    for name in ("sp-del", "sp-off"):
        marker = f"{name}-{uuid.uuid4().hex[:8]}"
        config = ServerConfig(
            command=PY, args=["-m", "tests.upstreams.spawner", marker], cwd=str(ROOT)
        )
        await hub.config.put_server(name, config, create=True)
        await wait_status(hub, name, Status.CONNECTED)
        grandchild = (await hub.upstreams.call_tool(name, "grandchild_pid"))["structuredContent"]
        spawned[name] = (child_pid(marker), grandchild["pid"])
        assert alive(grandchild["pid"])

    await hub.config.delete_server("sp-del")
    assert hub.upstreams.state("sp-del").status is Status.DISCONNECTED
    with pytest.raises(UpstreamError):
        await hub.upstreams.call_tool("sp-del", "grandchild_pid")
    off = hub.config.servers["sp-off"].model_copy(update={"enabled": False})
    await hub.config.put_server("sp-off", off)
    assert hub.upstreams.state("sp-off").error == "disabled"
    assert hub.upstreams.state("sp-off").tools == []
    for child, grandchild in spawned.values():
        await wait_for(lambda c=child, g=grandchild: not alive(c) and not alive(g), 8)


async def test_stop_leaves_no_process(tmp_path: Path, admin_password: str) -> None:
    options = HubOptions(data_dir=tmp_path / "data", port=0, admin_password=admin_password)
    server = HubServer(options, hub=Hub(options))
    await server.start()
    marker = f"sp-stop-{uuid.uuid4().hex[:8]}"
    hub = server.hub
    try:
        config = ServerConfig(
            command=PY, args=["-m", "tests.upstreams.spawner", marker], cwd=str(ROOT)
        )
        await hub.config.put_server("sp", config, create=True)
        await hub.config.put_server("t", tiny(marker + "-tiny"), create=True)
        await wait_status(hub, "sp", Status.CONNECTED)
        await wait_status(hub, "t", Status.CONNECTED)
        grandchild = (await hub.upstreams.call_tool("sp", "grandchild_pid"))["structuredContent"]
        assert len(with_marker(marker)) == 2
    finally:
        await server.stop()
    assert with_marker(marker) == []
    assert not alive(grandchild["pid"])


@pytest.mark.slow
async def test_many_servers_health_at_once_then_all_connected(
    tmp_path: Path, admin_password: str
) -> None:
    """100 stdio servers: the hub answers /health at once and connects them all."""
    n = 100
    marker = f"scale-{uuid.uuid4().hex[:8]}"
    options = HubOptions(data_dir=tmp_path / "data", port=0, admin_password=admin_password)
    hub = Hub(options)
    await hub.open()
    for i in range(n):
        await hub.config.put_server(f"s{i:03d}", tiny(f"{marker}-{i}"), create=True)
    await hub.stop()

    server = HubServer(options, hub=Hub(options))
    await server.start()
    listening = time.monotonic()
    try:
        async with httpx2.AsyncClient(base_url=f"http://{server.address}") as client:
            first = await client.get("/health")
            assert time.monotonic() - listening < 1.0
            assert first.status_code == 200
            assert first.json()["servers"]["total"] == n

            async def all_connected() -> bool:
                r = await client.get("/health")
                return bool(r.json()["servers"]["connected"] == n)

            await wait_for(all_connected, 45, every=0.1)
            assert (await client.get("/health")).json()["status"] == "healthy"
    finally:
        await server.stop()
    assert with_marker(marker) == []
