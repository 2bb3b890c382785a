"""The plugin system: entry points, registries, async hooks, blocking, a real third-party plugin."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx2
import pytest
import tornado.httputil

from hub import hookimpl
from hub.app import Hub, HubOptions
from hub.auth.principal import Principal
from hub.errors import StartupError
from hub.plugins import Plugins, Registry
from hub.server import HubServer
from hub.testing import HubClient, install_distribution
from tests.hubproc import HubProcess

ROOT = Path(__file__).parent.parent


def test_builtins_load_through_entry_points() -> None:
    names = {p.name: p for p in Plugins().load().info()}
    assert {"hub.defaults", "sqlite", "stdio", "sse", "streamable-http"} <= names.keys()
    assert names["sqlite"].distribution == "mcphub-py"
    assert names["sqlite"].hooks == ["register_storage"]
    assert "register_authenticators" in names["hub.defaults"].hooks


def test_registry_refuses_duplicates() -> None:
    registry: Registry[int] = Registry("thing")
    registry("a", 1)
    with pytest.raises(ValueError, match="duplicate thing 'a'"):
        registry("a", 2)
    assert registry["a"] == 1 and list(registry) == ["a"]


def test_load_is_once_only() -> None:
    plugins = Plugins()
    assert plugins.load() is plugins.load()
    assert len(plugins.info()) == len({p.name for p in plugins.info()})


def test_disable_plugins_blocks_by_name(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MCPHUB_DISABLE_PLUGINS", "stdio, sse,hub.defaults")
    names = {p.name for p in Plugins().load().info()}
    assert "stdio" not in names and "sse" not in names
    assert "hub.defaults" in names, "the core defaults cannot be blocked"


async def test_a_hub_without_its_store_plugin_refuses_to_start(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("MCPHUB_DISABLE_PLUGINS", "sqlite")
    hub = Hub(HubOptions(data_dir=tmp_path, admin_password="Xx-pass-12!"))
    with pytest.raises(StartupError, match="no storage backend 'sqlite'"):
        await hub.start()


class FirstDeclines:
    """Resolves to None asynchronously: the facade must go on to the next plugin."""

    calls = 0

    @hookimpl
    async def principal_from_request(
        self, hub: Hub, request: tornado.httputil.HTTPServerRequest
    ) -> Principal | None:
        FirstDeclines.calls += 1
        return None


class SecondAccepts:
    @hookimpl
    async def principal_from_request(
        self, hub: Hub, request: tornado.httputil.HTTPServerRequest
    ) -> Principal | None:
        if request.headers.get("X-Test-User"):
            return Principal(name=request.headers["X-Test-User"], is_admin=False)
        return None


class Lifecycle:
    events: list[str] = []

    @hookimpl
    async def startup(self, hub: Hub) -> None:
        Lifecycle.events.append(f"startup {hub.started}")

    @hookimpl
    def shutdown(self, hub: Hub) -> None:
        Lifecycle.events.append("shutdown")


@pytest.fixture
def inline_plugins(register_plugin: Any) -> None:
    # pluggy calls the last registered first: FirstDeclines is asked before SecondAccepts.
    register_plugin(SecondAccepts(), name="second")
    register_plugin(FirstDeclines(), name="first")
    Lifecycle.events = []
    register_plugin(Lifecycle(), name="lifecycle")


@pytest.mark.usefixtures("inline_plugins")
async def test_async_first_result_hook_awaits_each_plugin_in_turn(hub_client: HubClient) -> None:
    FirstDeclines.calls = 0
    r = await hub_client.get("/api/auth/user", headers={"X-Test-User": "plugin-made"}, token=None)
    assert r.status_code == 200
    assert r.json()["user"]["username"] == "plugin-made"
    assert FirstDeclines.calls == 1
    assert (await hub_client.get("/api/auth/user", token=None)).status_code == 401


@pytest.mark.usefixtures("inline_plugins")
async def test_lifecycle_hooks_run(hub_server: HubServer) -> None:
    assert Lifecycle.events == ["startup False"]
    await hub_server.stop()
    assert Lifecycle.events == ["startup False", "shutdown"]


async def test_api_lists_plugins(admin_client: HubClient) -> None:
    r = await admin_client.get("/api/plugins")
    assert r.status_code == 200
    by_name = {p["name"]: p for p in r.json()["data"]}
    assert by_name["sqlite"]["version"] == "0.1.0"
    assert by_name["sqlite"]["hooks"] == ["register_storage"]


@pytest.fixture(scope="module")
def hello_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """contrib/mcphub-hello installed into a private directory, outside the venv.

    Built from a copy, so no build/ or egg-info lands in the tree and a parallel worker
    building the same distribution (its own tests) does not race this one."""
    return install_distribution(ROOT / "contrib" / "mcphub-hello", tmp_path_factory.mktemp("hello"))


def plugin_env(site: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "MCPHUB_LOAD_PLUGINS"}
    env["PYTHONPATH"] = os.pathsep.join([str(site), str(ROOT)])
    env.update(extra)
    return env


@pytest.mark.slow
def test_third_party_plugin_is_listed_and_can_be_disabled(hello_site: Path) -> None:
    def listed(**extra: str) -> str:
        return subprocess.run(
            [sys.executable, "-m", "hub.cli", "plugins"],
            env=plugin_env(hello_site, **extra),
            capture_output=True,
            text=True,
            check=True,
            timeout=60,
        ).stdout

    out = listed()
    assert any(line.startswith("hello\t0.1.0\t") for line in out.splitlines()), out
    assert "after_tool_call, register_catalogs, register_routes" in out
    assert "hello" not in listed(MCPHUB_DISABLE_PLUGINS="hello")
    assert "hello" not in listed(MCPHUB_LOAD_PLUGINS="")


@pytest.mark.slow
async def test_third_party_plugin_hooks_run_in_a_served_hub(
    hello_site: Path, tmp_path: Path
) -> None:
    env = plugin_env(hello_site, ADMIN_PASSWORD="Hello-pass-1!", MCPHUB_LOAD_PLUGINS="hello")
    hub = await HubProcess(tmp_path, env).start()
    try:
        async with httpx2.AsyncClient(base_url=hub.url) as http:
            r = await http.get("/api/hello")
            assert r.status_code == 200
            assert r.json()["data"] == {"hello": "world", "toolCalls": 0}
    finally:
        await hub.stop()
    env["MCPHUB_DISABLE_PLUGINS"] = "hello"
    hub = await HubProcess(tmp_path, env).start()
    try:
        async with httpx2.AsyncClient(base_url=hub.url) as http:
            assert (await http.get("/api/hello")).status_code == 404
    finally:
        await hub.stop()


def test_per_hub_state_keeps_one_value_per_hub_and_no_hub_alive() -> None:
    """``PerHub`` answers each hub's own value (the last one set and any other), forgets a
    popped hub, and does not keep a dropped hub alive."""
    import gc
    import weakref

    from hub.plugin_api import PerHub

    class FakeHub:  # PerHub needs only identity and weak references
        pass

    first, second = FakeHub(), FakeHub()
    state: PerHub[str] = PerHub()
    state.set(first, "one")  # type: ignore[arg-type]
    state.set(second, "two")  # type: ignore[arg-type]
    assert state.get(second) == "two" and state.get(first) == "one"  # type: ignore[arg-type]
    assert state.pop(second) == "two" and state.get(second) is None  # type: ignore[arg-type]
    assert state.get(first) == "one"  # type: ignore[arg-type]
    state.set(second, "again")  # type: ignore[arg-type]
    gone = weakref.ref(second)
    del second
    gc.collect()
    assert gone() is None
    assert state.get(first) == "one"  # type: ignore[arg-type]
