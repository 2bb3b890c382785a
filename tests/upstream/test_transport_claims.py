"""Transports own their knowledge: a third party's transport takes part in guessing a
config's type, validating it and deciding whether it needs an admin, exactly like the
built-in ones; the built-ins keep MCPHub's order (openapi, url as sse, command as stdio)."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Hashable
from typing import Any

import anyio
import pytest
from mcp.server import Server
from mcp.shared.memory import create_client_server_memory_streams
from pydantic import BaseModel

from hub.auth.access import is_privileged
from hub.plugin_api import Claim, Registry, ServerConfig, Target, hookimpl
from hub.plugins import Plugins
from hub.server import HubServer
from hub.testing import HubClient
from hub.upstream.config_check import same_target
from hub.upstream.transport import Transport, kind_of
from tests.api_fixtures import wait_server


class MemoConfig(BaseModel):
    memo: str


def memo_of(config: ServerConfig) -> Any:
    return (config.model_extra or {}).get("memo")


class MemoTransport:
    """An in-process upstream with one tool named after the config's ``memo`` field."""

    config_model = MemoConfig
    claim = Claim(order=50, needs="a memo", test=lambda config: memo_of(config) is not None)
    privileged = True

    def validate(self, config: ServerConfig) -> ServerConfig:
        if not isinstance(memo_of(config), str) or not memo_of(config):
            raise ValueError("memo must be text")
        return config.model_copy(update={"description": config.description or "a memo"})

    def destination(self, config: ServerConfig) -> Hashable:
        return memo_of(config)

    @contextlib.asynccontextmanager
    async def open(self, target: Target) -> AsyncIterator[Any]:
        tool = {"name": memo_of(target.config), "inputSchema": {"type": "object"}}

        async def list_tools(ctx: Any, params: Any) -> dict[str, Any]:
            return {"tools": [tool]}

        server: Server[Any] = Server("memo", on_list_tools=list_tools)
        async with (
            create_client_server_memory_streams() as (client_streams, server_streams),
            anyio.create_task_group() as tg,
        ):
            tg.start_soon(server.run, *server_streams, server.create_initialization_options())
            try:
                yield client_streams
            finally:
                tg.cancel_scope.cancel()


class MemoPlugin:
    @hookimpl
    def register_transports(self, register: Registry[object]) -> None:
        register("memo", MemoTransport())


@pytest.fixture
def memo_plugin(register_plugin: Any) -> None:
    register_plugin(MemoPlugin(), name="memo-transport")


@pytest.mark.usefixtures("memo_plugin")
async def test_a_plugin_transport_guesses_validates_and_connects(
    api: HubClient, alice: HubClient, hub_server: HubServer
) -> None:
    # claimed before the built-ins (order 50), validated and defaulted by the plugin
    body = {"name": "m", "config": {"memo": "remember", "url": "http://h/"}}
    r = await api.post("/api/servers", json=body)
    assert r.status_code == 200, r.text
    stored = hub_server.hub.config.servers["m"]
    assert stored.type == "memo" and stored.description == "a memo"
    data = await wait_server(api, "m", "connected")
    assert [t["name"] for t in data["tools"]] == ["m-remember"]

    r = await api.post("/api/servers", json={"name": "x", "config": {"type": "memo", "memo": ""}})
    assert (
        r.status_code == 400 and r.json()["message"] == "Invalid server config: memo must be text"
    )
    r = await api.post("/api/servers", json={"name": "x", "config": {}})
    assert r.json()["message"] == (
        "Invalid server config: it needs a memo, an openapi.url or openapi.schema, a url, "
        "or a command"
    )
    r = await api.post("/api/servers", json={"name": "x", "config": {"type": "ftp"}})
    assert r.json()["message"] == (
        "Invalid server type 'ftp'; expected one of memo, openapi, sse, stdio, streamable-http"
    )
    # the plugin says its configs run code on the hub's machine: admins only
    r = await alice.post("/api/servers", json={"name": "a", "config": {"memo": "x"}})
    assert r.status_code == 403
    r = await alice.post("/api/servers", json={"name": "a", "config": {"url": "http://h/"}})
    assert r.status_code == 200, r.text


@pytest.fixture(scope="module")
def builtins() -> Registry[Transport]:
    return Plugins().load().transports()


def test_builtins_guess_as_mcphub(builtins: Registry[Transport]) -> None:
    spec = {"openapi": {"url": "http://h/spec.json"}}
    assert kind_of(builtins, ServerConfig(**spec, url="http://h/", command="x")) == "openapi"
    assert kind_of(builtins, ServerConfig(url="http://h/mcp", command="x")) == "sse"
    assert kind_of(builtins, ServerConfig(command="x")) == "stdio"
    assert kind_of(builtins, ServerConfig(openapi={"version": "3"})) is None
    assert kind_of(builtins, ServerConfig(type="streamable-http")) == "streamable-http"


def test_privileged_is_what_the_transport_says_or_unknown(builtins: Registry[Transport]) -> None:
    assert not is_privileged(ServerConfig(url="http://h/"), builtins)
    assert not is_privileged(ServerConfig(type="openapi", openapi={"url": "http://h/"}), builtins)
    assert is_privileged(ServerConfig(command="x"), builtins)
    assert is_privileged(ServerConfig(type="sse", url="http://h/", args=["a"]), builtins)
    assert is_privileged(ServerConfig(), builtins)  # nobody claims it
    assert is_privileged(ServerConfig(type="ftp", url="ftp://h/"), builtins)  # nobody has it
    assert is_privileged(ServerConfig(url="http://h/"), Registry("transport"))


def test_secrets_stay_only_where_the_transport_sends_them(builtins: Registry[Transport]) -> None:
    def same(old: dict[str, Any], new: dict[str, Any]) -> bool:
        return same_target(ServerConfig(**old), ServerConfig(**new), builtins)

    assert same({"url": "http://h/a"}, {"type": "sse", "url": "http://h/b?x=1"})
    assert not same({"url": "http://h/a"}, {"url": "http://other/a"})
    assert not same({"url": "http://h/a"}, {"type": "streamable-http", "url": "http://h/a"})
    assert same({"command": "npx", "args": ["a"]}, {"command": "npx", "args": ["b"]})
    assert not same({"command": "npx"}, {"command": "uvx"})
    spec = {"openapi": {"url": "http://h/spec.json"}}
    assert same(spec, {"openapi": {"url": "http://h/v2.json"}})
    assert not same(spec, {"openapi": {"url": "http://evil/spec.json"}})
    assert not same(spec, {**spec, "url": "http://evil/"})
    assert not same({}, {})
