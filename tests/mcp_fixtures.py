"""Helpers for the MCP endpoint tests: real upstream processes and a hub configured to use them.

A test module starts its upstreams once (module scope, over streamable HTTP so each hub
connects in milliseconds) and overrides ``hub_settings`` (``hub.testing``) to point the hub
at them. The raw MCP client (``RawMcp``, ``reply``) lives in ``hub.testing``.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx2
import pytest

from hub import hookimpl
from hub.app import Hub
from hub.plugin_api import ToolCall
from hub.server import HubServer
from hub.testing import wait_for

ROOT = Path(__file__).resolve().parent.parent

MODERN = "2026-07-28"
ENVELOPE = {
    "io.modelcontextprotocol/protocolVersion": MODERN,
    "io.modelcontextprotocol/clientCapabilities": {},
    "io.modelcontextprotocol/clientInfo": {"name": "raw", "version": "1"},
}
"""The per-request ``_meta`` a 2026-07-28 client sends with every message."""


@dataclass
class UpstreamProc:
    """A test upstream child process serving streamable HTTP on 127.0.0.1."""

    proc: subprocess.Popen[bytes]
    url: str
    events: Path

    def events_seen(self) -> list[str]:
        return self.events.read_text().splitlines() if self.events.exists() else []

    def saw(self, prefix: str, since: int = 0) -> bool:
        """Whether an event starting with ``prefix`` was recorded after the first ``since``."""
        return any(line.startswith(prefix) for line in self.events_seen()[since:])


def start_upstream(module: str, events: Path, *args: str) -> UpstreamProc:
    env = {**os.environ, "UPSTREAM_EVENTS_FILE": str(events)}
    proc = subprocess.Popen(
        [sys.executable, "-m", module, "--transport", "streamable-http", "--port", "0", *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    assert proc.stdout is not None
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        line = proc.stdout.readline().decode()
        if line.startswith("LISTENING"):
            port = int(line.split()[1])
            return UpstreamProc(proc, f"http://127.0.0.1:{port}/mcp", events)
        if not line and proc.poll() is not None:
            break
    proc.kill()
    raise RuntimeError(f"{module} did not start")


def stop_upstream(upstream: UpstreamProc) -> None:
    upstream.proc.terminate()
    try:
        upstream.proc.wait(5)
    except subprocess.TimeoutExpired:
        upstream.proc.kill()
        upstream.proc.wait(5)
    if upstream.proc.stdout is not None:
        upstream.proc.stdout.close()


@pytest.fixture(scope="module", name="everything")
def everything_fixture(tmp_path_factory: pytest.TempPathFactory) -> Iterator[UpstreamProc]:
    events = tmp_path_factory.mktemp("everything") / "events.log"
    upstream = start_upstream("tests.upstreams.everything", events)
    yield upstream
    stop_upstream(upstream)


@pytest.fixture(scope="module", name="hang")
def hang_fixture(tmp_path_factory: pytest.TempPathFactory) -> Iterator[UpstreamProc]:
    events = tmp_path_factory.mktemp("hang") / "events.log"
    upstream = start_upstream("tests.upstreams.hang", events)
    yield upstream
    stop_upstream(upstream)


def http_server(url: str, **extra: Any) -> dict[str, Any]:
    return {"type": "streamable-http", "url": url, **extra}


def bearer(token: str) -> dict[str, str]:
    """The ``Authorization`` header that presents ``token`` (a bearer key or a JWT)."""
    return {"Authorization": f"Bearer {token}"}


def open_settings(servers: dict[str, Any], **extra: Any) -> dict[str, Any]:
    """``hub_settings`` of a hub serving ``servers`` on MCP routes that need no bearer key
    (``routing.enableBearerAuth`` off); ``extra`` adds top-level keys (prompts, …)."""
    return {
        "mcpServers": servers,
        "systemConfig": {"routing": {"enableBearerAuth": False}},
        **extra,
    }


@asynccontextmanager
async def connected_http(
    server: HubServer, *upstreams: str, request_timeout: float = 10
) -> AsyncIterator[httpx2.AsyncClient]:
    """An HTTP client on ``server`` (``request_timeout`` s a request) once the named
    upstreams are connected."""
    await wait_connected(server.hub, *upstreams)
    async with httpx2.AsyncClient(
        base_url=f"http://{server.address}", timeout=request_timeout
    ) as client:
        yield client


class Recorder:
    """A plugin recording which tool calls reached the upstream-call step, as the tool-call
    hooks saw them: ``(server, tool)`` before the call and after it."""

    def __init__(self) -> None:
        self.before: list[tuple[str, str]] = []
        self.after: list[tuple[str, str]] = []

    @hookimpl
    def before_tool_call(self, call: ToolCall) -> None:
        self.before.append((call.server, call.tool))

    @hookimpl
    def after_tool_call(self, call: ToolCall) -> None:
        self.after.append((call.server, call.tool))


@pytest.fixture(name="recorder")
def recorder_fixture(register_plugin: Any) -> Recorder:
    """A ``Recorder`` registered with the hub before it starts."""
    plugin = Recorder()
    register_plugin(plugin, name="recorder")
    return plugin


async def wait_connected(hub: Hub, *names: str, within: float = 20.0) -> None:
    """Until every named upstream is connected with its lists cached."""
    await wait_for(lambda: all(hub.upstreams.state(n).status == "connected" for n in names), within)


async def wait_listening(hub: Hub, sessions: int = 1) -> None:
    """Until ``sessions`` MCP sessions have their standalone GET stream open.

    The SDK client opens that stream in the background after ``initialize``; a notification
    sent before it is open has nowhere to go.
    """
    await wait_for(lambda: sum(s.stream is not None for s in hub.mcp.sessions) >= sessions)
