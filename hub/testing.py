"""Pytest fixtures for the hub and for plugin authors (loaded through the ``pytest11`` entry point).

``hub_server`` runs a real hub on a free 127.0.0.1 port with a temporary data dir, in the
test's event loop; ``hub_client`` talks to it over real HTTP; ``admin_client`` is logged in;
``mcp_session`` is an initialized MCP session on its ``/mcp`` endpoint. Override
``hub_settings`` (the ``mcp_settings.json`` the hub imports on its first start) or
``hub_options`` in a conftest or module to change how the hub starts. ``docs/plugins.md``
("Testing plugins") shows them in use.
"""

from __future__ import annotations

import asyncio
import json
import secrets
import shutil
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import httpx2
import pytest

from hub.app import HubOptions
from hub.auth.tokens import issue_token
from hub.plugins import Plugins
from hub.server import HubServer

ACCEPT = "application/json, text/event-stream"
PROTOCOL_VERSION = "2025-11-25"
"""The handshake-era protocol version ``RawMcp`` and ``McpSession`` speak by default."""


def install_distribution(source: Path, into: Path) -> Path:
    """Build the plugin distribution at ``source`` from a copy (so no ``build/`` lands in the
    tree and parallel workers do not race) and install it into ``into/site``, outside the
    environment; put the returned directory on ``sys.path`` (or ``PYTHONPATH``) to load it."""
    copy = into / "source"
    skip = shutil.ignore_patterns("build", "*.egg-info", "tests", "__pycache__")
    shutil.copytree(source, copy, ignore=skip)
    site = into / "site"
    pip = [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation"]
    subprocess.run(
        [*pip, "--target", str(site), str(copy)], check=True, capture_output=True, timeout=120
    )
    return site


def plugin_distribution(source: Path, load: str) -> tuple[Any, Any]:
    """``site, installed = plugin_distribution(DIST, "hello")``: ``site`` builds ``source``
    once per module; ``installed`` (autouse) puts it on ``sys.path`` and lets ``load`` load."""

    @pytest.fixture(scope="module", name="site")
    def site_fixture(tmp_path_factory: pytest.TempPathFactory) -> Path:
        return install_distribution(source, tmp_path_factory.mktemp(f"{load}-dist"))

    @pytest.fixture(autouse=True, name="installed")
    def installed_fixture(site: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.syspath_prepend(str(site))
        monkeypatch.setenv("MCPHUB_LOAD_PLUGINS", load)

    return site_fixture, installed_fixture


async def wait_for(
    predicate: Callable[[], bool | Awaitable[bool]], within: float = 10.0, every: float = 0.02
) -> float:
    """Poll ``predicate`` (sync or async) until it holds; returns the seconds it took.

    Fails with ``AssertionError`` after ``within`` seconds. Use it for a state the hub reaches
    in the background (an upstream connected, a file written); never sleep a fixed time.
    """
    start = time.monotonic()
    while True:
        value = predicate()
        if not isinstance(value, bool):
            value = await value
        if value:
            return time.monotonic() - start
        if time.monotonic() - start > within:
            raise AssertionError(f"condition not met within {within} s")
        await asyncio.sleep(every)


class HubClient:
    """A thin HTTP client for one hub; ``token`` is sent as ``x-auth-token`` when set."""

    def __init__(self, base_url: str, token: str | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self.token = token
        self.http = httpx2.AsyncClient(base_url=self.base_url, timeout=30.0)

    async def request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        content: bytes | str | None = None,
        headers: dict[str, str] | None = None,
        params: dict[str, Any] | None = None,
        token: str | bool | None = True,
    ) -> httpx2.Response:
        """``token=True`` uses the client's token, a string uses that one, None/False none."""
        sent = dict(headers or {})
        use = self.token if token is True else token or None
        if use:
            sent.setdefault("x-auth-token", use)
        return await self.http.request(
            method, path, json=json, content=content, headers=sent, params=params
        )

    async def get(self, path: str, **kw: Any) -> httpx2.Response:
        return await self.request("GET", path, **kw)

    async def post(self, path: str, **kw: Any) -> httpx2.Response:
        return await self.request("POST", path, **kw)

    async def put(self, path: str, **kw: Any) -> httpx2.Response:
        return await self.request("PUT", path, **kw)

    async def delete(self, path: str, **kw: Any) -> httpx2.Response:
        return await self.request("DELETE", path, **kw)

    async def login(self, username: str, password: str) -> str:
        """Log in and keep the token for later requests."""
        r = await self.post(
            "/api/auth/login", json={"username": username, "password": password}, token=None
        )
        assert r.status_code == 200, r.text
        self.token = r.json()["token"]
        return self.token

    async def aclose(self) -> None:
        await self.http.aclose()


@pytest.fixture
def admin_password() -> str:
    """The password of the hub's first admin (random per test, strong enough)."""
    return "Adm1n!" + secrets.token_urlsafe(9)


@pytest.fixture
def hub_plugins() -> Plugins:
    """The plugin manager the hub will use; ``register_plugin`` adds to it before start."""
    return Plugins()


@pytest.fixture
def hub_settings() -> dict[str, Any]:
    """The ``mcp_settings.json`` (as a dict) ``hub_server`` imports on its first start.

    Empty by default: the hub starts with no settings file. Override it in a module or
    conftest, for example ``{"mcpServers": {...}, "systemConfig": {...}}``.
    """
    return {}


@pytest.fixture
def hub_options(tmp_path: Path, admin_password: str, hub_settings: dict[str, Any]) -> HubOptions:
    """How ``hub_server`` starts; override this fixture to change it.

    A non-empty ``hub_settings`` is written to ``tmp_path / "mcp_settings.json"`` and named as
    the settings file, which the hub imports because its data dir starts empty.
    """
    settings_path = None
    if hub_settings:
        settings_path = tmp_path / "mcp_settings.json"
        settings_path.write_text(json.dumps(hub_settings))
    return HubOptions(
        data_dir=tmp_path / "data",
        host="127.0.0.1",
        port=0,
        admin_password=admin_password,
        settings_path=settings_path,
    )


@pytest.fixture
def register_plugin(hub_plugins: Plugins) -> Iterator[Callable[..., str]]:
    """Register an inline plugin object for one test; it is unregistered afterwards."""
    names: list[str] = []

    def register(plugin: object, name: str | None = None) -> str:
        hub_plugins.load()
        registered = hub_plugins.register(plugin, name=name)
        names.append(registered)
        return registered

    yield register
    for name in names:
        if hub_plugins.pm.has_plugin(name):
            hub_plugins.unregister(name)


@pytest.fixture
async def hub_server(hub_options: HubOptions, hub_plugins: Plugins) -> AsyncIterator[HubServer]:
    """A started hub listening on a free 127.0.0.1 port."""
    from hub.app import Hub

    server = HubServer(hub_options, hub=Hub(hub_options, plugins=hub_plugins))
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


@pytest.fixture
async def hub_client(hub_server: HubServer) -> AsyncIterator[HubClient]:
    """An anonymous HTTP client of ``hub_server``."""
    client = HubClient(f"http://{hub_server.address}")
    yield client
    await client.aclose()


@pytest.fixture
async def admin_client(hub_server: HubServer, admin_password: str) -> AsyncIterator[HubClient]:
    """An HTTP client of ``hub_server`` logged in as ``admin``."""
    client = HubClient(f"http://{hub_server.address}")
    await client.login("admin", admin_password)
    yield client
    await client.aclose()


# ---------------------------------------------------------------------- MCP over HTTP


class McpError(Exception):
    """A JSON-RPC error answer; ``code``, ``message`` and ``data`` as the hub sent them."""

    def __init__(self, error: dict[str, Any]) -> None:
        self.code: int | None = error.get("code")
        self.message: str = str(error.get("message", ""))
        self.data: Any = error.get("data")
        super().__init__(f"{self.code}: {self.message}")


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


class RawMcp:
    """A raw-HTTP MCP client (2025 streamable-HTTP wire) for the status codes and headers an
    SDK hides: ``post`` sends any body, ``call`` one request, both return the HTTP response."""

    def __init__(
        self, http: httpx2.AsyncClient, path: str, headers: dict[str, str] | None = None
    ) -> None:
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

    async def initialize(self, version: str = PROTOCOL_VERSION) -> httpx2.Response:
        """The handshake; on success the session id is kept and ``initialized`` is sent."""
        r = await self.post(
            {
                "jsonrpc": "2.0",
                "id": 0,
                "method": "initialize",
                "params": {
                    "protocolVersion": version,
                    "capabilities": {},
                    "clientInfo": {"name": "hub.testing", "version": "1"},
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


class McpSession(RawMcp):
    """An initialized MCP session over real HTTP, answering with JSON-RPC results.

    ``request`` returns the ``result`` of any method and raises ``McpError`` for an error
    answer; ``call_tool`` and ``list_tools`` are shortcuts. ``close`` ends the session on the
    hub (``DELETE``). ``RawMcp``'s ``post``/``call`` stay available for raw checks.
    """

    def __init__(
        self, http: httpx2.AsyncClient, path: str, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(http, path, headers)
        self.initialized: dict[str, Any] = {}
        """The ``initialize`` result: ``serverInfo``, ``capabilities``, ``protocolVersion``."""
        self._owns_http = False

    @classmethod
    async def open(
        cls,
        base_url: str,
        path: str = "/mcp",
        headers: dict[str, str] | None = None,
        version: str = PROTOCOL_VERSION,
    ) -> McpSession:
        """Connect to ``base_url + path`` and complete the handshake (``AssertionError`` if the
        hub refuses it)."""
        http = httpx2.AsyncClient(base_url=base_url, timeout=30.0)
        session = cls(http, path, headers)
        session._owns_http = True
        r = await session.initialize(version)
        if r.status_code != 200 or session.session is None:
            await http.aclose()
            raise AssertionError(f"MCP initialize failed: HTTP {r.status_code} {r.text[:300]}")
        session.initialized = reply(r)["result"]
        return session

    async def request(self, method: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        r = await self.call(method, params)
        if r.status_code != 200:
            raise AssertionError(f"{method}: HTTP {r.status_code} {r.text[:300]}")
        message = reply(r)
        if "error" in message:
            raise McpError(message["error"])
        result: dict[str, Any] = message["result"]
        return result

    async def notify(self, method: str, params: dict[str, Any] | None = None) -> None:
        body: dict[str, Any] = {"jsonrpc": "2.0", "method": method}
        if params is not None:
            body["params"] = params
        r = await self.post(body)
        if r.status_code != 202:
            raise AssertionError(f"{method}: HTTP {r.status_code} {r.text[:300]}")

    async def call_tool(self, name: str, arguments: dict[str, Any] | None = None) -> dict[str, Any]:
        """The ``tools/call`` result (``content``, ``structuredContent``, ``isError``)."""
        return await self.request("tools/call", {"name": name, "arguments": arguments or {}})

    async def list_tools(self) -> list[dict[str, Any]]:
        """Every tool, following ``nextCursor`` through all pages."""
        tools: list[dict[str, Any]] = []
        params: dict[str, Any] | None = None
        while True:
            page = await self.request("tools/list", params)
            tools.extend(page.get("tools", []))
            cursor = page.get("nextCursor")
            if not cursor:
                return tools
            params = {"cursor": cursor}

    async def close(self) -> None:
        """End the session on the hub (``DELETE``); closes the HTTP client it opened."""
        try:
            if self.session is not None:
                headers = {**self.headers, "Mcp-Session-Id": self.session}
                await self.http.delete(self.path, headers=headers)
                self.session = None
        finally:
            if self._owns_http:
                await self.http.aclose()


@pytest.fixture
async def mcp_session(hub_server: HubServer) -> AsyncIterator[McpSession]:
    """An initialized MCP session on ``hub_server``'s ``/mcp``, as the ``admin`` user.

    Its credential works whether or not ``routing.enableBearerAuth`` is on; the session is
    closed (``DELETE /mcp``) after the test.
    """
    hub = hub_server.hub
    admin = hub.config.users["admin"]
    token = issue_token(hub.jwt_secret, "admin", True, admin.token_version)
    session = await McpSession.open(
        f"http://{hub_server.address}", f"{hub.base_path}/mcp", {"x-auth-token": token}
    )
    yield session
    await session.close()
