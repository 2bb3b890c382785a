"""A stdio upstream that speaks 2026-07-28 (``protocolEra: auto``) is connected on that wire:
2026 callers reach it with their own ``_meta`` and its ``InputRequiredResult`` comes back
unchanged; a 2025 caller's questions are asked by the hub; list changes arrive on the hub's
``subscriptions/listen`` stream. The same fixture without the setting keeps the handshake.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx2
import mcp_types as t
import pytest
from mcp import Client

from hub.server import HubServer
from hub.testing import ACCEPT, reply, wait_for
from hub.upstream.modern import speaks_2026
from tests.mcp_fixtures import ENVELOPE, MODERN, wait_connected
from tests.upstreams_fixtures import conformance_stdio, logged_events


@pytest.fixture
def hub_settings(tmp_path: Path) -> dict[str, Any]:
    return {
        "mcpServers": {
            "modern": conformance_stdio(tmp_path / "modern.log", protocolEra="auto"),
            "legacy": conformance_stdio(tmp_path / "legacy.log"),
        },
        "systemConfig": {"routing": {"enableBearerAuth": False}},
    }


@pytest.fixture
async def hub(hub_server: HubServer) -> HubServer:
    await wait_connected(hub_server.hub, "modern", "legacy", within=60)
    return hub_server


def text(result: t.CallToolResult) -> str:
    first = result.content[0]
    assert isinstance(first, t.TextContent)
    return first.text


async def elicit(context: Any, params: t.ElicitRequestParams) -> t.ElicitResult:
    return t.ElicitResult(action="accept", content={"name": "Dee"})


async def test_2026_client_elicitation_through_a_2026_stdio_upstream(
    hub: HubServer, tmp_path: Path
) -> None:
    url = f"http://{hub.address}/mcp"
    async with Client(url, mode=MODERN, elicitation_callback=elicit) as client:
        result = await client.call_tool("modern-test_modern_greeting", {})
    assert text(result) == "Hello, Dee! (2026)"
    # The upstream saw the client's own capabilities, twice (question, then the retry).
    caps = [line for line in logged_events(tmp_path, "modern") if line.startswith("modern caps")]
    assert len(caps) == 2 and all('"elicitation"' in line for line in caps)
    assert not hub.hub.mcp.bridge.calls
    assert speaks_2026(hub.hub.upstreams.upstreams["modern"].session)
    assert not speaks_2026(hub.hub.upstreams.upstreams["legacy"].session)


async def test_2025_caller_of_a_2026_upstream_is_asked_by_the_hub(
    hub: HubServer, tmp_path: Path
) -> None:
    asked: list[str] = []

    async def answer(context: Any, params: t.ElicitRequestParams) -> t.ElicitResult:
        asked.append(params.message)
        return t.ElicitResult(action="accept", content={"name": "Flo"})

    url = f"http://{hub.address}/mcp"
    async with Client(url, mode="legacy", elicitation_callback=answer) as client:
        result = await client.call_tool("modern-test_modern_greeting", {})
        legacy = await client.call_tool("legacy-test_modern_greeting", {})
    assert text(result) == "Hello, Flo! (2026)"
    assert text(legacy) == "Hello, Flo! (2025)"
    assert asked == ["What is your name?", "What is your name?"]
    # The hub answered the upstream's question with its own envelope.
    caps = [line for line in logged_events(tmp_path, "modern") if line.startswith("modern caps")]
    assert len(caps) == 2 and all('"sampling"' in line for line in caps)


async def test_list_changes_of_a_2026_upstream_reach_the_hub(hub: HubServer) -> None:
    state = hub.hub.upstreams.state("modern")
    before = {tool["name"] for tool in state.tools}
    async with Client(f"http://{hub.address}/mcp", mode=MODERN) as client:
        await client.call_tool("modern-test_trigger_tool_change", {})
    await wait_for(
        lambda: (
            len({tool["name"] for tool in hub.hub.upstreams.state("modern").tools} - before) == 1
        ),
        20,
    )


async def test_input_required_passes_through_unchanged_and_32021_comes_from_upstream(
    hub: HubServer,
) -> None:
    name = "modern-test_modern_greeting"
    headers = {
        "Accept": ACCEPT,
        "MCP-Protocol-Version": MODERN,
        "Mcp-Method": "tools/call",
        "Mcp-Name": name,
    }
    can_elicit = {**ENVELOPE, "io.modelcontextprotocol/clientCapabilities": {"elicitation": {}}}
    async with httpx2.AsyncClient(base_url=f"http://{hub.address}", timeout=30) as http:

        async def call(meta: dict[str, Any], **extra: Any) -> httpx2.Response:
            params = {"name": name, "arguments": {}, "_meta": meta, **extra}
            body = {"jsonrpc": "2.0", "id": 5, "method": "tools/call", "params": params}
            return await http.post("/mcp", content=json.dumps(body), headers=headers)

        refused = await call(ENVELOPE)
        assert refused.status_code == 400
        error = refused.json()["error"]
        assert error["code"] == -32021
        assert error["data"]["requiredCapabilities"] == {"elicitation": {}}

        asked = reply(await call(can_elicit))["result"]
        assert asked["resultType"] == "input_required"
        assert list(asked["inputRequests"]) == ["user_name"]
        assert isinstance(asked["requestState"], str)
        question = asked["inputRequests"]["user_name"]
        assert question["method"] == "elicitation/create"
        assert question["params"]["message"] == "What is your name?"

        answer = {"action": "accept", "content": {"name": "Eve"}}
        done = reply(
            await call(
                can_elicit,
                inputResponses={"user_name": answer},
                requestState=asked["requestState"],
            )
        )["result"]
        assert done["content"][0]["text"] == "Hello, Eve! (2026)"

    # A state the hub did not sign, for an upstream without the 2026 wire, is still refused.
    legacy = {**headers, "Mcp-Name": "legacy-test_modern_greeting"}
    params = {
        "name": "legacy-test_modern_greeting",
        "arguments": {},
        "_meta": can_elicit,
        "inputResponses": {},
        "requestState": "not-the-hubs-state",
    }
    body = {"jsonrpc": "2.0", "id": 6, "method": "tools/call", "params": params}
    async with httpx2.AsyncClient(base_url=f"http://{hub.address}", timeout=30) as http:
        stale = await http.post("/mcp", content=json.dumps(body), headers=legacy)
    assert stale.status_code == 400 and stale.json()["error"]["code"] == -32602


async def test_a_2025_caller_that_cannot_answer_gets_an_error_result(hub: HubServer) -> None:
    async with Client(f"http://{hub.address}/mcp", mode="legacy") as client:
        result = await client.call_tool("modern-test_modern_greeting", {})
    assert result.is_error
    assert "elicitation/create failed" in text(result)
