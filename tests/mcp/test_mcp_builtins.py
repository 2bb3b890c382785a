"""Built-in prompts and resources from the settings file, served through /mcp with the SDK client."""

from __future__ import annotations

import warnings
from typing import Any

import mcp_types as t
import pytest
from mcp.client.session import ClientSession
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.exceptions import MCPDeprecationWarning, MCPError

from hub.server import HubServer
from tests.mcp_fixtures import http_server, open_settings, wait_connected

PROMPTS = [
    {
        "id": "p-1",
        "name": "summarise",
        "title": "Summarise",
        "description": "Summarise a text",
        "template": "Summarise in {{ words }} words: {{text}} {{unrelated}}",
        "arguments": [
            {"name": "text", "required": True},
            {"name": "words", "description": "How short"},
        ],
    },
    {"id": "p-2", "name": "hidden", "template": "never listed", "enabled": False},
    # The same name as the upstream's prompt under an unprefixed route: the built-in wins.
    {"id": "p-3", "name": "greet", "template": "Built-in hello, {{name}}"},
]
RESOURCES = [
    {"id": "r-1", "uri": "hub://notes/readme", "name": "Readme", "content": "Read me first."},
    {"id": "r-2", "uri": "hub://notes/off", "content": "off", "enabled": False},
]


@pytest.fixture
def hub_settings(everything: Any) -> dict[str, Any]:
    servers = {"ev": http_server(everything.url)}
    return open_settings(servers, prompts=PROMPTS, resources=RESOURCES)


@pytest.fixture
async def hub(hub_server: HubServer) -> HubServer:
    await wait_connected(hub_server.hub, "ev")
    return hub_server


async def test_builtins_listed_first_and_answered_by_the_hub(hub: HubServer) -> None:
    async with (
        streamable_http_client(f"http://{hub.address}/mcp") as (r, w),
        ClientSession(r, w) as s,
    ):
        await s.initialize()
        prompts = (await s.list_prompts()).prompts
        assert [p.name for p in prompts] == ["summarise", "greet", "ev-greet", "ev-simple"]
        summarise = prompts[0]
        assert summarise.title == "Summarise" and summarise.description == "Summarise a text"
        assert summarise.arguments is not None
        assert [(a.name, a.required) for a in summarise.arguments] == [
            ("text", True),
            ("words", None),
        ]

        got = await s.get_prompt("summarise", {"text": "a long story", "words": "five"})
        assert got.description == "Summarise a text"
        assert len(got.messages) == 1 and got.messages[0].role == "user"
        content = got.messages[0].content
        assert isinstance(content, t.TextContent)
        assert content.text == "Summarise in five words: a long story {{unrelated}}"
        short = await s.get_prompt("summarise", {"text": "x"})
        assert isinstance(short.messages[0].content, t.TextContent)
        assert short.messages[0].content.text == "Summarise in  words: x {{unrelated}}"
        with pytest.raises(MCPError, match="Missing required arguments: text") as missing:
            await s.get_prompt("summarise", {})
        assert missing.value.error.code == t.INVALID_PARAMS
        with pytest.raises(MCPError, match="Unknown prompt"):
            await s.get_prompt("hidden", {})

        resources = (await s.list_resources()).resources
        assert str(resources[0].uri) == "hub://notes/readme"
        assert "hub://notes/off" not in {str(res.uri) for res in resources}
        assert resources[0].name == "Readme" and resources[0].mime_type == "text/plain"
        read = await s.read_resource("hub://notes/readme")
        first = read.contents[0]
        assert isinstance(first, t.TextResourceContents) and first.text == "Read me first."
        with pytest.raises(MCPError, match="Resource not found"):
            await s.read_resource("hub://notes/off")
        with warnings.catch_warnings():  # removed in 2026-07-28; still the 2025 wire here
            warnings.simplefilter("ignore", MCPDeprecationWarning)
            await s.subscribe_resource("hub://notes/readme")  # accepted, nothing upstream
            await s.unsubscribe_resource("hub://notes/readme")

        # The upstream's own prompts and resources are unaffected.
        upstream = await s.get_prompt("ev-greet", {"name": "Bob"})
        assert isinstance(upstream.messages[0].content, t.TextContent)
        assert upstream.messages[0].content.text == "Hello, Bob!"


async def test_a_builtin_shadows_an_unprefixed_upstream_prompt(hub: HubServer) -> None:
    await hub.hub.config.put_system(
        hub.hub.config.system.model_copy(
            update={
                "routing": hub.hub.config.system.routing.model_copy(
                    update={"unprefixed_server_route": True}
                )
            }
        )
    )
    async with (
        streamable_http_client(f"http://{hub.address}/mcp/ev") as (r, w),
        ClientSession(r, w) as s,
    ):
        await s.initialize()
        names = [p.name for p in (await s.list_prompts()).prompts]
        assert names == ["summarise", "greet", "simple"]
        got = await s.get_prompt("greet", {"name": "Ann"})
        assert isinstance(got.messages[0].content, t.TextContent)
        assert got.messages[0].content.text == "Built-in hello, Ann"
