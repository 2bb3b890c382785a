"""Shared pieces of the REST API tests: real upstreams, direct tokens, polling helpers.

Tokens are issued directly (no bcrypt per test); the admin token belongs to the hub's real
``admin`` user. Upstreams are the real test servers from ``tests/upstreams``.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import mcp_types as t
import pytest
from mcp.client.session import ClientSession
from mcp.client.streamable_http import streamable_http_client

from hub.auth.tokens import issue_token
from hub.config.models import User
from hub.server import HubServer
from hub.testing import HubClient, wait_for
from tests.mcp_fixtures import wait_listening

ROOT = Path(__file__).resolve().parent.parent
UPSTREAM = (sys.executable, "-m", "tests.upstreams.everything")


def stdio_config(marker: str = "", **extra: Any) -> dict[str, Any]:
    """The ``everything`` test server over stdio; ``marker`` tags its process for /proc checks."""
    args = ["-m", "tests.upstreams.everything", "--transport", "stdio"]
    if marker:
        args += ["--name", marker]
    return {"command": sys.executable, "args": args, "cwd": str(ROOT), **extra}


def processes_with(marker: str) -> list[int]:
    """Pids whose command line contains ``marker`` (Linux /proc)."""
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if marker in cmdline:
            pids.append(int(entry.name))
    return pids


@pytest.fixture(scope="module", name="everything_http")
def everything_http_fixture() -> Iterator[str]:
    """One ``everything`` upstream over streamable HTTP for the whole module; yields its URL."""
    proc = subprocess.Popen(
        [*UPSTREAM, "--transport", "streamable-http", "--port", "0"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    assert line.startswith("LISTENING"), line
    try:
        yield f"http://127.0.0.1:{int(line.split()[1])}/mcp"
    finally:
        proc.terminate()
        proc.wait(10)
        proc.stdout.close()


async def user_token(server: HubServer, name: str, is_admin: bool = False) -> str:
    """Store a user and return a JWT for them (the password is unusable: no bcrypt needed)."""
    await server.hub.config.put_user(User(username=name, password="!", is_admin=is_admin))
    return issue_token(server.hub.jwt_secret, name, is_admin, 0)


@pytest.fixture(name="api")
async def api_fixture(hub_server: HubServer) -> AsyncIterator[HubClient]:
    """An HTTP client of ``hub_server`` holding an admin JWT."""
    client = HubClient(f"http://{hub_server.address}")
    client.token = issue_token(hub_server.hub.jwt_secret, "admin", True, 0)
    yield client
    await client.aclose()


@pytest.fixture(name="alice")
async def alice_fixture(hub_server: HubServer) -> AsyncIterator[HubClient]:
    """A client of a non-admin user ``alice``."""
    client = HubClient(f"http://{hub_server.address}")
    client.token = await user_token(hub_server, "alice")
    yield client
    await client.aclose()


async def wait_server(
    client: HubClient, name: str, status: str, within: float = 20.0
) -> dict[str, Any]:
    """Poll ``GET /api/servers/:name`` until it reports ``status``; returns the summary."""
    last: Any = None

    async def reached() -> bool:
        nonlocal last
        r = await client.get(f"/api/servers/{name}")
        last = r.json()
        return r.status_code == 200 and last["data"]["status"] == status

    try:
        await wait_for(reached, within, every=0.05)
    except AssertionError:
        raise AssertionError(f"{name} never reached {status}: {last}") from None
    return last["data"]  # type: ignore[no-any-return]


# ---------------------------------------------------------------------- an open MCP session


@pytest.fixture(name="ev")
async def ev_fixture(api: HubClient, everything_http: str) -> HubClient:
    """The admin client, with server ``ev`` connected and MCP open without a bearer."""
    r = await api.put("/api/system-config", json={"routing": {"enableBearerAuth": False}})
    assert r.status_code == 200, r.text
    cfg = {"type": "streamable-http", "url": everything_http}
    assert (await api.post("/api/servers", json={"name": "ev", "config": cfg})).status_code == 200
    await wait_server(api, "ev", "connected")
    return api


@asynccontextmanager
async def mcp(hub: HubServer, changed: dict[str, asyncio.Event]) -> AsyncIterator[ClientSession]:
    kinds = {
        t.ToolListChangedNotification: "tools",
        t.PromptListChangedNotification: "prompts",
        t.ResourceListChangedNotification: "resources",
    }

    async def on_message(message: Any) -> None:
        kind = kinds.get(type(message))
        if kind:
            changed[kind].set()

    async with (
        streamable_http_client(f"http://{hub.address}/mcp") as (r, w),
        ClientSession(r, w, message_handler=on_message) as session,
    ):
        await session.initialize()
        await wait_listening(hub.hub)  # the SDK client opens its GET stream in the background
        yield session


async def changed_now(changed: dict[str, asyncio.Event], kind: str) -> None:
    async with asyncio.timeout(5):
        await changed[kind].wait()
    changed[kind].clear()
