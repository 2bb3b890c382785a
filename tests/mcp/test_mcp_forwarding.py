"""The short path of a session's tools/call (``hub.mcp.forwarding``) and the upstream direct
links: what they return must be what the SDK path returned, for every client version."""

from __future__ import annotations

import asyncio
import sys
from typing import Any

import pytest

from hub.mcp.forwarding import unchanged_by_schema
from hub.server import HubServer
from hub.testing import HubClient, RawMcp, reply, sse_messages
from tests.mcp_fixtures import ROOT, http_server, wait_connected


@pytest.fixture
def hub_settings(everything: Any) -> dict[str, Any]:
    return {
        "mcpServers": {
            "ev": http_server(everything.url),
            "pipe": {
                "command": sys.executable,
                "args": ["-m", "tests.upstreams.everything"],
                "cwd": str(ROOT),
            },
        },
        "systemConfig": {"routing": {"enableBearerAuth": False}},
    }


@pytest.fixture
async def hub(hub_server: HubServer) -> HubServer:
    await wait_connected(hub_server.hub, "ev", "pipe")
    return hub_server


def test_plain_results_pass_unchanged_others_go_to_the_schema() -> None:
    text = {"content": [{"type": "text", "text": "hi"}]}
    assert unchanged_by_schema(text, "2025-06-18")
    assert unchanged_by_schema({**text, "isError": False}, "2024-11-05")
    structured = {**text, "structuredContent": {"text": "hi"}}
    assert unchanged_by_schema(structured, "2025-06-18")
    assert not unchanged_by_schema(structured, "2025-03-26")  # no structuredContent there
    assert not unchanged_by_schema({**text, "_meta": {"a": 1}}, "2025-06-18")
    image = {"content": [{"type": "image", "data": "AA==", "mimeType": "image/png"}]}
    assert not unchanged_by_schema(image, "2025-06-18")
    annotated = {"content": [{"type": "text", "text": "hi", "annotations": {}}]}
    assert not unchanged_by_schema(annotated, "2025-06-18")


@pytest.mark.parametrize("server", ["ev", "pipe"])
async def test_results_are_shaped_for_the_clients_version(
    hub: HubServer, hub_client: HubClient, server: str
) -> None:
    """The result as the version's schema shapes it (``isError`` written out), whichever way
    it went; an image result keeps its data and ``_meta`` through the schema."""
    old = RawMcp(hub_client.http, "/mcp")
    assert (await old.initialize("2025-03-26")).status_code == 200
    new = RawMcp(hub_client.http, "/mcp")
    assert (await new.initialize("2025-06-18")).status_code == 200
    args = {"name": f"{server}-echo", "arguments": {"text": "shape"}}

    expected = {
        "content": [{"type": "text", "text": "shape"}],
        "structuredContent": {"text": "shape"},
        "isError": False,
    }
    assert reply(await old.call("tools/call", args))["result"] == expected
    assert reply(await new.call("tools/call", args))["result"] == expected

    image = reply(await new.call("tools/call", {"name": f"{server}-image"}))["result"]
    assert image["content"][0]["type"] == "image"
    assert image["content"][0]["mimeType"] == "image/png"
    assert image["_meta"] == {"test/kind": "image"}


@pytest.mark.parametrize("server", ["ev", "pipe"])
async def test_bad_calls_get_the_sdks_errors(
    hub: HubServer, hub_client: HubClient, server: str
) -> None:
    mcp = RawMcp(hub_client.http, "/mcp")
    await mcp.initialize()
    unknown = reply(await mcp.call("tools/call", {"name": "nope"}))
    assert unknown["error"]["code"] == -32602
    malformed = reply(await mcp.call("tools/call", {"name": 7}))
    assert malformed["error"]["code"] == -32602
    bad_arguments = reply(
        await mcp.call("tools/call", {"name": f"{server}-echo", "arguments": [1]})
    )
    assert bad_arguments["error"]["code"] == -32602
    failed = reply(await mcp.call("tools/call", {"name": f"{server}-fail", "arguments": {}}))
    assert failed["result"]["isError"] is True


@pytest.mark.parametrize("server", ["ev", "pipe"])
async def test_concurrent_calls_each_get_their_own_answer(
    hub: HubServer, hub_client: HubClient, server: str
) -> None:
    """Many calls in flight on one upstream connection: answers matched by id, none mixed."""
    mcp = RawMcp(hub_client.http, "/mcp")
    await mcp.initialize()

    async def one(i: int) -> str:
        args = {"name": f"{server}-echo", "arguments": {"text": f"call {i}"}}
        result = reply(await mcp.call("tools/call", args))["result"]
        return str(result["content"][0]["text"])

    answers = await asyncio.gather(*(one(i) for i in range(40)))
    assert answers == [f"call {i}" for i in range(40)]


@pytest.mark.parametrize("server", ["ev", "pipe"])
async def test_progress_reaches_the_caller(
    hub: HubServer, hub_client: HubClient, server: str
) -> None:
    """Progress the upstream reports on a forwarded call arrives as SSE with the caller's
    own token, before the answer."""
    mcp = RawMcp(hub_client.http, "/mcp")
    await mcp.initialize()
    params = {
        "name": f"{server}-slow",
        "arguments": {"seconds": 0.3},
        "_meta": {"progressToken": "mine"},
    }
    r = await mcp.call("tools/call", params)
    assert r.headers["content-type"].startswith("text/event-stream")
    messages = sse_messages(r.text)
    progress = [m for m in messages if m.get("method") == "notifications/progress"]
    assert progress and all(m["params"]["progressToken"] == "mine" for m in progress)
    assert "result" in messages[-1]
