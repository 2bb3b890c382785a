"""Pytest fixtures for the hub and for plugin authors (loaded through the ``pytest11`` entry point).

``hub_server`` runs a real hub on a free 127.0.0.1 port with a temporary data dir, in the
test's event loop; ``hub_client`` talks to it over real HTTP; ``admin_client`` is logged in.
Override ``hub_options`` in a conftest or module to change how the hub starts.
"""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import httpx2
import pytest

from hub.app import HubOptions
from hub.plugins import Plugins
from hub.server import HubServer


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
def hub_options(tmp_path: Path, admin_password: str) -> HubOptions:
    """How ``hub_server`` starts; override this fixture to change it."""
    return HubOptions(
        data_dir=tmp_path / "data",
        host="127.0.0.1",
        port=0,
        admin_password=admin_password,
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
