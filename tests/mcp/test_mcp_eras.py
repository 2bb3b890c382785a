"""The 2026-07-28 stateless wire and the legacy HTTP+SSE transport, on the same hub."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx2
import mcp_types as t
import pytest
from mcp import Client
from mcp.client.session import ClientSession
from mcp.client.sse import sse_client

from hub.config.models import ItemOverride
from hub.server import HubServer
from hub.testing import ACCEPT, reply, sse_messages, wait_for
from tests.mcp_fixtures import ENVELOPE, MODERN, http_server, open_settings, wait_connected


@pytest.fixture
def hub_settings(everything: Any) -> dict[str, Any]:
    return open_settings({"ev": http_server(everything.url)})


@pytest.fixture
async def hub(hub_server: HubServer) -> HubServer:
    await wait_connected(hub_server.hub, "ev")
    return hub_server


def modern_headers(method: str, name: str | None = None) -> dict[str, str]:
    headers = {"Accept": ACCEPT, "MCP-Protocol-Version": MODERN, "Mcp-Method": method}
    if name is not None:
        headers["Mcp-Name"] = name
    return headers


async def test_sdk_client_negotiates_2026_and_calls(hub: HubServer) -> None:
    async with Client(f"http://{hub.address}/mcp", mode="auto") as client:
        assert client.protocol_version == MODERN
        tools = await client.list_tools()
        assert "ev-echo" in {tool.name for tool in tools.tools}
        result = await client.call_tool("ev-echo", {"text": "modern"})
        assert result.structured_content == {"text": "modern"}
        prompt = await client.get_prompt("ev-greet", {"name": "Ann"})
        assert isinstance(prompt.messages[0].content, t.TextContent)
        assert prompt.messages[0].content.text == "Hello, Ann!"


async def test_2026_sampling_becomes_input_required_and_resumes(hub: HubServer) -> None:
    asked: list[str] = []

    async def sampler(context: Any, params: t.CreateMessageRequestParams) -> Any:
        first = params.messages[0].content
        asked.append(first.text if isinstance(first, t.TextContent) else "?")
        return t.CreateMessageResult(
            role="assistant", content=t.TextContent(text="from the 2026 client"), model="m"
        )

    async with Client(f"http://{hub.address}/mcp", mode=MODERN, sampling_callback=sampler) as c:
        result = await c.call_tool("ev-sample", {"prompt": "question"})
        assert isinstance(result.content[0], t.TextContent)
        assert result.content[0].text == "from the 2026 client"
    assert asked == ["question"]
    assert not hub.hub.mcp.bridge.calls


async def test_raw_discover_headers_and_errors(hub: HubServer) -> None:
    async with httpx2.AsyncClient(base_url=f"http://{hub.address}", timeout=10) as http:

        async def post(body: dict[str, Any], headers: dict[str, str]) -> httpx2.Response:
            return await http.post("/mcp", content=json.dumps(body), headers=headers)

        discover = {"jsonrpc": "2.0", "id": 1, "method": "server/discover"}
        r = await post(
            {**discover, "params": {"_meta": ENVELOPE}}, modern_headers("server/discover")
        )
        assert r.status_code == 200 and "Mcp-Session-Id" not in r.headers
        result = r.json()["result"]
        assert MODERN in result["supportedVersions"] and result["capabilities"]["tools"]

        call = {
            "jsonrpc": "2.0",
            "id": 2,
            "method": "tools/call",
            "params": {"name": "ev-add", "arguments": {"a": 1, "b": 2}, "_meta": ENVELOPE},
        }
        ok = await post(call, modern_headers("tools/call", "ev-add"))
        assert reply(ok)["result"]["structuredContent"] == {"result": 3}
        assert reply(ok)["result"]["resultType"] == "complete"

        tampered = {**call, "params": {**call["params"], "requestState": "forged.0000"}}
        forged = await post(tampered, modern_headers("tools/call", "ev-add"))
        assert forged.status_code == 400 and forged.json()["error"]["code"] == -32602

        mismatch = await post(call, modern_headers("tools/call", "ev-echo"))
        assert mismatch.status_code == 400 and mismatch.json()["error"]["code"] == -32020
        no_meta = {**call, "params": {"name": "ev-add", "arguments": {}}}
        missing = await post(no_meta, modern_headers("tools/call", "ev-add"))
        assert missing.status_code == 400 and missing.json()["error"]["code"] == -32602
        old = await post(
            {
                **discover,
                "params": {
                    "_meta": {**ENVELOPE, "io.modelcontextprotocol/protocolVersion": "2099-01-01"}
                },
            },
            {**modern_headers("server/discover"), "MCP-Protocol-Version": "2099-01-01"},
        )
        assert old.status_code == 400 and old.json()["error"]["code"] == -32022
        ping = await post(
            {"jsonrpc": "2.0", "id": 3, "method": "ping", "params": {"_meta": ENVELOPE}},
            modern_headers("ping"),
        )
        assert ping.status_code == 404 and ping.json()["error"]["code"] == -32601


async def test_listen_stream_delivers_list_changed(hub: HubServer) -> None:
    body = {
        "jsonrpc": "2.0",
        "id": "listen-1",
        "method": "subscriptions/listen",
        "params": {"notifications": {"toolsListChanged": True}, "_meta": ENVELOPE},
    }
    live = hub.hub.config
    frames: list[dict[str, Any]] = []
    headers = modern_headers("subscriptions/listen")
    async with (
        httpx2.AsyncClient(base_url=f"http://{hub.address}", timeout=10) as http,
        http.stream("POST", "/mcp", content=json.dumps(body), headers=headers) as r,
    ):
        assert r.headers["content-type"].startswith("text/event-stream")
        async with asyncio.timeout(5):
            async for line in r.aiter_lines():
                if not line.startswith("data:"):
                    continue
                frames.append(json.loads(line[5:]))
                if len(frames) == 1:
                    config = live.servers["ev"].model_copy(
                        update={"tools": {"ev-echo": ItemOverride(enabled=False)}}
                    )
                    await live.put_server("ev", config)
                else:
                    break
    assert frames[0]["method"] == "notifications/subscriptions/acknowledged"
    assert frames[1]["method"] == "notifications/tools/list_changed"
    assert frames[1]["params"]["_meta"]["io.modelcontextprotocol/subscriptionId"] == "listen-1"


async def test_legacy_sse_client(hub: HubServer) -> None:
    progress: list[float] = []

    async def on_progress(value: float, total: float | None, message: str | None) -> None:
        progress.append(value)

    async with sse_client(f"http://{hub.address}/sse") as (r, w), ClientSession(r, w) as s:
        await s.initialize()
        tools = {tool.name for tool in (await s.list_tools()).tools}
        assert "ev-echo" in tools
        result = await s.call_tool("ev-echo", {"text": "sse"})
        assert result.structured_content == {"text": "sse"}
        slow = await s.call_tool("ev-slow", {"seconds": 0.2}, progress_callback=on_progress)
        assert not slow.is_error and progress == [1, 2]
        read = await s.read_resource("test://static/data.json")
        assert isinstance(read.contents[0], t.TextResourceContents)
        assert json.loads(read.contents[0].text) == {"answer": 42}
    await wait_for(lambda: len(hub.hub.mcp.sessions) == 0)


async def test_legacy_sse_message_errors(hub: HubServer) -> None:
    async with httpx2.AsyncClient(base_url=f"http://{hub.address}", timeout=10) as http:
        missing = await http.post("/messages", content="{}")
        assert missing.status_code == 400 and missing.text == "Missing sessionId parameter"
        unknown = await http.post("/messages?sessionId=nope", content="{}")
        assert unknown.status_code == 404
    assert sse_messages("data: {}\n") == [{}]
