"""The MCP endpoint over streamable HTTP with the SDK's own client, fronting real upstreams."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import anyio
import mcp_types as t
import pytest
from mcp.client.session import ClientSession
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.exceptions import MCPError

from hub.config.models import ItemOverride
from hub.server import HubServer
from hub.testing import wait_for
from tests.mcp_fixtures import http_server, open_settings, wait_connected, wait_listening


@pytest.fixture
def hub_settings(everything: Any, hang: Any) -> dict[str, Any]:
    return open_settings({"ev": http_server(everything.url), "hang": http_server(hang.url)})


@pytest.fixture
async def hub(hub_server: HubServer) -> HubServer:
    await wait_connected(hub_server.hub, "ev", "hang")
    return hub_server


def url(hub: HubServer, path: str = "/mcp") -> str:
    return f"http://{hub.address}{path}"


async def cancel_when(scope: anyio.CancelScope, condition: Callable[[], bool]) -> None:
    """Cancel ``scope`` once ``condition`` holds (or, failing, when the wait gives up)."""
    try:
        await wait_for(condition)
    finally:
        scope.cancel()


async def test_list_call_prompt_read_pass_through(hub: HubServer) -> None:
    async with streamable_http_client(url(hub)) as (r, w), ClientSession(r, w) as s:
        init = await s.initialize()
        assert init.server_info.name == "mcphub"
        assert init.capabilities.tools is not None and init.capabilities.tools.list_changed
        tools = {tool.name: tool for tool in (await s.list_tools()).tools}
        assert {"ev-echo", "ev-add", "hang-hang", "hang-ping_tool"} <= set(tools)
        echo = tools["ev-echo"]
        assert echo.annotations is not None and echo.annotations.read_only_hint is True
        assert echo.meta == {"test/origin": "everything"}
        assert tools["ev-add"].output_schema is not None

        added = await s.call_tool("ev-add", {"a": 2, "b": 3})
        assert added.structured_content == {"result": 5} and not added.is_error
        image = await s.call_tool("ev-image", {})
        first = image.content[0]
        assert isinstance(first, t.ImageContent) and first.mime_type == "image/png"
        assert first.annotations is not None and first.annotations.priority == 0.5
        assert first.meta == {"test/pixels": 1} and image.meta == {"test/kind": "image"}
        failed = await s.call_tool("ev-fail", {"message": "boom"})
        assert failed.is_error and isinstance(failed.content[0], t.TextContent)
        assert failed.content[0].text == "boom"

        prompt = await s.get_prompt("ev-greet", {"name": "Bob"})
        assert isinstance(prompt.messages[0].content, t.TextContent)
        assert prompt.messages[0].content.text == "Hello, Bob!"
        assert [p.name for p in (await s.list_prompts()).prompts] == ["ev-greet", "ev-simple"]

        read = await s.read_resource("test://static/hello")
        assert isinstance(read.contents[0], t.TextResourceContents)
        assert read.contents[0].text == "Hello, world!"
        item = await s.read_resource("test://items/7")
        assert isinstance(item.contents[0], t.TextResourceContents)
        assert item.contents[0].text == "item 7"
        templates = (await s.list_resource_templates()).resource_templates
        assert [tpl.uri_template for tpl in templates] == ["test://items/{id}"]

        done = await s.complete(t.PromptReference(name="ev-greet"), {"name": "name", "value": "A"})
        assert "Alice" in done.completion.values

        with pytest.raises(MCPError) as missing:
            await s.read_resource("test://nowhere/1")
        assert missing.value.code == -32002
        with pytest.raises(MCPError):
            await s.call_tool("ev-nope", {})


async def test_progress_reaches_the_client(hub: HubServer) -> None:
    seen: list[tuple[float, float | None]] = []

    async def on_progress(progress: float, total: float | None, message: str | None) -> None:
        seen.append((progress, total))

    async with streamable_http_client(url(hub)) as (r, w), ClientSession(r, w) as s:
        await s.initialize()
        result = await s.call_tool("ev-slow", {"seconds": 0.3}, progress_callback=on_progress)
        assert not result.is_error
    assert len(seen) == 3 and seen[-1] == (3, 3)


async def test_sampling_reaches_the_calling_client_only(hub: HubServer) -> None:
    asked: list[str] = []

    def sampler(name: str) -> Any:
        async def callback(context: Any, params: t.CreateMessageRequestParams) -> Any:
            asked.append(name)
            return t.CreateMessageResult(
                role="assistant",
                content=t.TextContent(text=f"{name} says hi"),
                model="test-model",
            )

        return callback

    async with (
        streamable_http_client(url(hub)) as (r1, w1),
        ClientSession(r1, w1, sampling_callback=sampler("one")) as one,
        streamable_http_client(url(hub)) as (r2, w2),
        ClientSession(r2, w2, sampling_callback=sampler("two")) as two,
    ):
        await one.initialize()
        await two.initialize()
        result = await two.call_tool("ev-sample", {"prompt": "hello"})
        assert isinstance(result.content[0], t.TextContent)
        assert result.content[0].text == "two says hi"
    assert asked == ["two"]


async def test_cancel_reaches_the_upstream(hub: HubServer, hang: Any) -> None:
    before = len(hang.events_seen())
    async with streamable_http_client(url(hub)) as (r, w), ClientSession(r, w) as s:
        await s.initialize()
        with anyio.CancelScope() as scope:
            # Cancelled once the call has reached the upstream, not after a guessed delay.
            watcher = asyncio.create_task(cancel_when(scope, lambda: hang.saw("called", before)))
            await s.call_tool("hang-hang", {})
        await watcher
        await wait_for(lambda: hang.saw("cancelled", before))
    assert hang.events_seen()[-1].startswith("cancelled")


async def test_list_changed_after_a_toggle(hub: HubServer) -> None:
    changed = asyncio.Event()

    async def on_message(message: Any) -> None:
        if isinstance(message, t.ToolListChangedNotification):
            changed.set()

    live = hub.hub.config
    async with (
        streamable_http_client(url(hub)) as (r, w),
        ClientSession(r, w, message_handler=on_message) as s,
    ):
        await s.initialize()
        assert "ev-echo" in {tool.name for tool in (await s.list_tools()).tools}
        await wait_listening(hub.hub)  # the SDK client opens its GET stream in the background
        config = live.servers["ev"].model_copy(
            update={"tools": {"ev-echo": ItemOverride(enabled=False)}}
        )
        await live.put_server("ev", config)
        async with asyncio.timeout(5):
            await changed.wait()
        names = {tool.name for tool in (await s.list_tools()).tools}
        assert "ev-echo" not in names and "ev-add" in names
        with pytest.raises(MCPError) as refused:
            await s.call_tool("ev-echo", {"text": "x"})
        assert refused.value.code == t.INVALID_PARAMS
    assert hub.hub.upstreams.state("ev").status == "connected"


async def test_description_override_and_unprefixed_server_route(hub: HubServer) -> None:
    live = hub.hub.config
    config = live.servers["ev"].model_copy(
        update={"tools": {"ev-add": ItemOverride(description="adds two numbers")}}
    )
    await live.put_server("ev", config)
    system = live.system.model_copy(deep=True)
    system.routing.unprefixed_server_route = True
    await live.put_system(system)
    async with streamable_http_client(url(hub, "/mcp/ev")) as (r, w), ClientSession(r, w) as s:
        await s.initialize()
        tools = {tool.name: tool for tool in (await s.list_tools()).tools}
        assert "echo" in tools and "hang" not in tools and "ev-echo" not in tools
        assert tools["add"].description == "adds two numbers"
        result = await s.call_tool("echo", {"text": "plain"})
        assert result.structured_content == {"text": "plain"}


async def test_resource_updates_reach_subscribers(hub: HubServer) -> None:
    updated = asyncio.Event()

    async def on_message(message: Any) -> None:
        if isinstance(message, t.ResourceUpdatedNotification):
            updated.set()

    async with (
        streamable_http_client(url(hub)) as (r, w),
        ClientSession(r, w, message_handler=on_message) as s,
    ):
        await s.initialize()
        await s.send_request(
            t.SubscribeRequest(params=t.SubscribeRequestParams(uri="test://static/hello")),
            t.EmptyResult,
        )
        await wait_listening(hub.hub)  # the GET stream opens in the background
        await s.call_tool("ev-touch", {"uri": "test://static/hello"})
        async with asyncio.timeout(5):
            await updated.wait()
