"""Live upstream health: remote upstreams are pinged by default, so one killed while idle is
seen as disconnected (status and /health) within its keep-alive interval, and found again
after a restart."""

from __future__ import annotations

from pathlib import Path

from hub.config.models import ServerConfig
from hub.server import HubServer
from hub.testing import HubClient
from hub.upstream import keepalive
from hub.upstream.state import Status
from tests.upstreams_fixtures import start_http, wait_status

EVERYTHING = "tests.upstreams.everything"


class _Remote:
    pings_by_default = True


class _Pipe:
    """A transport without the attribute (stdio, a third party's)."""


def test_who_is_pinged_and_how_often() -> None:
    bare = ServerConfig(type="streamable-http", url="http://127.0.0.1:1/mcp")
    assert keepalive.interval(bare, _Remote()) == 30.0
    assert keepalive.interval(bare, _Pipe()) is None
    off = bare.model_copy(update={"enable_keep_alive": False})
    assert keepalive.interval(off, _Remote()) is None
    every_5s = bare.model_copy(update={"keep_alive_interval": 5000})
    assert keepalive.interval(every_5s, _Remote()) == 5.0
    asked = ServerConfig(command="x", enable_keep_alive=True)
    assert keepalive.interval(asked, _Pipe()) == 30.0


async def test_idle_upstream_killed_is_seen_and_found_again(
    hub_server: HubServer, hub_client: HubClient, tmp_path: Path
) -> None:
    upstream = start_http(EVERYTHING, "streamable-http", tmp_path / "ev")
    try:
        hub = hub_server.hub
        # No enableKeepAlive key: pinged by default, at the configured (short) interval.
        config = ServerConfig(type="streamable-http", url=upstream.url, keep_alive_interval=500)
        await hub.config.put_server("idle", config, create=True)
        await wait_status(hub, "idle", Status.CONNECTED)
        health = (await hub_client.get("/health")).json()
        assert health["servers"] == {"total": 1, "connected": 1, "disconnected": 0}

        upstream.stop()
        # One interval to the next ping, at most one more for its timeout.
        took = await wait_status(hub, "idle", Status.DISCONNECTED, within=5)
        assert took < 2.5, took
        health = (await hub_client.get("/health")).json()
        assert health["status"] == "degraded"
        assert health["servers"]["connected"] == 0

        upstream = start_http(EVERYTHING, "streamable-http", tmp_path / "ev", port=upstream.port)
        await wait_status(hub, "idle", Status.CONNECTED, within=30)
        result = await hub.upstreams.call_tool("idle", "echo", {"text": "back"})
        assert result["structuredContent"] == {"text": "back"}
        health = (await hub_client.get("/health")).json()
        assert health["status"] == "healthy"
    finally:
        upstream.stop()
