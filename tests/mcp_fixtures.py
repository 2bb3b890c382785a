"""Helpers for the MCP endpoint tests: real upstream processes and a hub configured to use them.

A test module starts its upstreams once (module scope, over streamable HTTP so each hub
connects in milliseconds) and defines ``mcp_settings``; the ``hub_options`` override here
writes that settings file before the hub starts.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx2
import pytest

from hub.app import Hub, HubOptions

ROOT = Path(__file__).resolve().parent.parent
ACCEPT = "application/json, text/event-stream"

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


def write_settings(tmp_path: Path, settings: dict[str, Any]) -> Path:
    path = tmp_path / "mcp_settings.json"
    path.write_text(json.dumps(settings))
    return path


@pytest.fixture(name="hub_options")
def hub_options_fixture(
    tmp_path: Path, admin_password: str, mcp_settings: dict[str, Any]
) -> HubOptions:
    """The test kit's options plus the module's ``mcp_settings`` file."""
    return HubOptions(
        data_dir=tmp_path / "data",
        host="127.0.0.1",
        port=0,
        admin_password=admin_password,
        settings_path=write_settings(tmp_path, mcp_settings),
    )


async def wait_connected(hub: Hub, *names: str, within: float = 20.0) -> None:
    """Until every named upstream is connected with its lists cached."""
    await wait_for(lambda: all(hub.upstreams.state(n).status == "connected" for n in names), within)


async def wait_for(predicate: Any, within: float = 10.0) -> None:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if predicate():
            return
        await asyncio.sleep(0.02)
    raise AssertionError("condition not met in time")


class RawMcp:
    """A raw-HTTP MCP client (2025 wire) for status codes and headers the SDK hides."""

    def __init__(self, http: httpx2.AsyncClient, path: str, headers: dict[str, str] | None = None):
        self.http = http
        self.path = path
        self.headers = {"Accept": ACCEPT, **(headers or {})}
        self.session: str | None = None
        self._id = 0

    async def post(self, body: Any, **headers: str) -> httpx2.Response:
        sent = dict(self.headers)
        if self.session:
            sent["Mcp-Session-Id"] = self.session
        sent.update(headers)
        return await self.http.post(self.path, content=json.dumps(body), headers=sent)

    async def initialize(self, version: str = "2025-11-25") -> httpx2.Response:
        r = await self.post(
            {
                "jsonrpc": "2.0",
                "id": 0,
                "method": "initialize",
                "params": {
                    "protocolVersion": version,
                    "capabilities": {},
                    "clientInfo": {"name": "raw", "version": "1"},
                },
            }
        )
        if r.status_code == 200 and "Mcp-Session-Id" in r.headers:
            self.session = r.headers["Mcp-Session-Id"]
            await self.post({"jsonrpc": "2.0", "method": "notifications/initialized"})
        return r

    async def call(self, method: str, params: dict[str, Any] | None = None) -> httpx2.Response:
        self._id += 1
        body: dict[str, Any] = {"jsonrpc": "2.0", "id": self._id, "method": method}
        if params is not None:
            body["params"] = params
        return await self.post(body)


def sse_messages(text: str) -> list[dict[str, Any]]:
    """The JSON messages in an SSE body."""
    return [json.loads(line[5:].strip()) for line in text.splitlines() if line.startswith("data:")]


def reply(r: httpx2.Response) -> dict[str, Any]:
    """The JSON-RPC answer of a POST, whether sent as JSON or as SSE."""
    if r.headers.get("content-type", "").startswith("text/event-stream"):
        answers = [m for m in sse_messages(r.text) if "id" in m and "method" not in m]
        return answers[-1]
    data: dict[str, Any] = r.json()
    return data
