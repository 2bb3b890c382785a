"""``/mcp/$smart`` with real upstreams: search, describe and call on both eras and legacy SSE,
every refusal checked at the upstream (which must see nothing), the index following the
catalog without a reindex, and the reindex route."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import httpx2
import mcp_types as t
import pytest
from mcp.client.session import ClientSession
from mcp.client.sse import sse_client

from hub.auth.tokens import issue_token
from hub.config.models import ItemOverride, User
from hub.server import HubServer
from hub.testing import ACCEPT, HubClient, McpError, McpSession, reply, wait_for
from tests.mcp_fixtures import ENVELOPE, MODERN, Recorder, UpstreamProc, http_server, wait_connected

GROUP_ID = "5a1e0000-0000-4000-8000-00000000beef"
EV_KEY = "key-smart-ev-0123456789abcdef"


@pytest.fixture
def hub_settings(everything: Any, hang: Any) -> dict[str, Any]:
    return {
        "mcpServers": {
            "ev": http_server(everything.url),
            "hang": http_server(hang.url),
            "mine": {**http_server(everything.url), "owner": "alice"},
        },
        "groups": [
            {"id": GROUP_ID, "name": "echoes", "servers": [{"name": "ev", "tools": ["echo"]}]}
        ],
        "bearerKeys": [
            {
                "id": "k-ev",
                "name": "ev only",
                "token": EV_KEY,
                "accessType": "servers",
                "allowedServers": ["ev"],
            }
        ],
        "systemConfig": {
            "smartRouting": {"enabled": True},
            # alice's server dials the loopback test upstream.
            "egress": {"allowInternal": True},
        },
    }


@pytest.fixture
async def hub(recorder: Recorder, hub_server: HubServer) -> HubServer:
    await wait_connected(hub_server.hub, "ev", "hang", "mine")
    await hub_server.hub.smart.settled()
    return hub_server


def admin_headers(hub: HubServer) -> dict[str, str]:
    admin = hub.hub.config.users["admin"]
    return {"x-auth-token": issue_token(hub.hub.jwt_secret, "admin", True, admin.token_version)}


@pytest.fixture
async def smart(hub: HubServer) -> AsyncIterator[McpSession]:
    session = await McpSession.open(f"http://{hub.address}", "/mcp/$smart", admin_headers(hub))
    yield session
    await session.close()


def payload(result: dict[str, Any]) -> dict[str, Any]:
    """The JSON a meta-tool answers in its one text content."""
    [content] = result["content"]
    assert content["type"] == "text"
    body: dict[str, Any] = json.loads(content["text"])
    return body


async def search(session: McpSession, query: str, limit: int = 10) -> list[dict[str, Any]]:
    found = payload(await session.call_tool("search_tools", {"query": query, "limit": limit}))
    assert found["metadata"]["query"] == query
    assert found["metadata"]["totalResults"] == len(found["tools"])
    tools: list[dict[str, Any]] = found["tools"]
    return tools


def calls(upstream: UpstreamProc, tool: str) -> int:
    return upstream.events_seen().count(f"call {tool}")


async def test_lists_meta_tools_with_mcphub_names_and_schemas(smart: McpSession) -> None:
    tools = {tool["name"]: tool for tool in await smart.list_tools()}
    assert set(tools) == {"search_tools", "call_tool"}
    search_tool = tools["search_tools"]
    assert search_tool["inputSchema"]["required"] == ["query"]
    assert search_tool["inputSchema"]["properties"]["limit"]["type"] == "integer"
    assert search_tool["annotations"] == {"title": "Search Tools", "readOnlyHint": True}
    assert "ev, hang, mine" in search_tool["description"]
    assert tools["call_tool"]["inputSchema"]["required"] == ["toolName"]
    assert tools["call_tool"]["annotations"]["openWorldHint"] is True


async def test_search_then_call_reaches_the_real_tool(
    smart: McpSession, everything: UpstreamProc, recorder: Recorder
) -> None:
    found = await search(smart, "echo the text back")
    best = found[0]
    assert best["name"] in {"ev-echo", "mine-echo"}
    assert best["serverName"] == best["name"].split("-")[0]
    assert best["inputSchema"]["properties"]["text"]["type"] == "string"
    before = calls(everything, "echo")
    result = await smart.call_tool(
        "call_tool", {"toolName": "ev-echo", "arguments": {"text": "hi"}}
    )
    assert result["structuredContent"] == {"text": "hi"}
    assert calls(everything, "echo") == before + 1
    # The hooks (activity, metrics) name the real tool, not the meta-tool; observers hear of
    # the call a moment after it finished.
    assert recorder.before[-1] == ("ev", "echo")
    await wait_for(lambda: recorder.after[-1:] == [("ev", "echo")])


async def test_group_scope_is_enforced_on_search_and_call(
    hub: HubServer, everything: UpstreamProc, recorder: Recorder
) -> None:
    for ref in (GROUP_ID, "echoes"):
        session = await McpSession.open(
            f"http://{hub.address}", f"/mcp/$smart/{ref}", admin_headers(hub)
        )
        try:
            assert {r["name"] for r in await search(session, "echo add numbers")} == {"ev-echo"}
            assert await search(session, "add two numbers") == []
            before, hooked = calls(everything, "add"), len(recorder.before)
            with pytest.raises(McpError) as refused:
                await session.call_tool("call_tool", {"toolName": "ev-add", "arguments": {}})
            assert "Unknown tool: ev-add" in str(refused.value)
            assert calls(everything, "add") == before and len(recorder.before) == hooked
            echoed = await session.call_tool(
                "call_tool", {"toolName": "ev-echo", "arguments": {"text": "g"}}
            )
            assert echoed["structuredContent"] == {"text": "g"}
        finally:
            await session.close()


async def test_unknown_smart_group_is_404(hub: HubServer) -> None:
    with pytest.raises(AssertionError, match="404"):
        await McpSession.open(f"http://{hub.address}", "/mcp/$smart/nope", admin_headers(hub))


async def test_disabled_tool_is_neither_found_nor_called(
    hub: HubServer, smart: McpSession, everything: UpstreamProc
) -> None:
    assert "ev-fail" in {r["name"] for r in await search(smart, "fail")}
    live = hub.hub.config
    config = live.servers["ev"].model_copy(deep=True)
    config.tools = {"ev-fail": ItemOverride(enabled=False)}
    await live.put_server("ev", config)
    await hub.hub.smart.settled()
    assert "ev-fail" not in {r["name"] for r in await search(smart, "fail")}
    before = calls(everything, "fail")
    with pytest.raises(McpError):
        await smart.call_tool("call_tool", {"toolName": "ev-fail", "arguments": {}})
    assert calls(everything, "fail") == before


async def test_servers_of_others_are_neither_found_nor_called(
    hub: HubServer, everything: UpstreamProc
) -> None:
    await hub.hub.config.put_user(User(username="alice", password="!"), create=True)
    alice = {"x-auth-token": issue_token(hub.hub.jwt_secret, "alice", False, 0)}
    key = {"Authorization": f"Bearer {EV_KEY}"}
    for headers, own, other in ((alice, "mine", "ev"), (key, "ev", "mine")):
        session = await McpSession.open(f"http://{hub.address}", "/mcp/$smart", headers)
        try:
            servers = {r["serverName"] for r in await search(session, "echo add fail", 50)}
            assert servers == {own}
            assert not await search(session, "hang")
            before = calls(everything, "echo")
            with pytest.raises(McpError):
                await session.call_tool(
                    "call_tool", {"toolName": f"{other}-echo", "arguments": {"text": "x"}}
                )
            assert calls(everything, "echo") == before
        finally:
            await session.close()


async def test_progressive_disclosure_describes_before_calling(
    hub: HubServer, admin_client: HubClient
) -> None:
    r = await admin_client.put(
        "/api/system-config", json={"smartRouting": {"progressiveDisclosure": True}}
    )
    assert r.status_code == 200, r.text
    session = await McpSession.open(f"http://{hub.address}", "/mcp/$smart", admin_headers(hub))
    try:
        tools = {tool["name"]: tool for tool in await session.list_tools()}
        assert set(tools) == {"search_tools", "describe_tool", "call_tool"}
        assert "STEP 2 of 3" in tools["describe_tool"]["description"]
        found = payload(await session.call_tool("search_tools", {"query": "add numbers"}))
        assert found["metadata"]["progressiveDisclosure"] is True
        assert found["tools"] and all("inputSchema" not in tool for tool in found["tools"])
        described = payload(await session.call_tool("describe_tool", {"toolName": "ev-add"}))
        assert described["tool"]["serverName"] == "ev"
        assert set(described["tool"]["inputSchema"]["properties"]) == {"a", "b"}
        missing = await session.call_tool("describe_tool", {"toolName": "ev-nope"})
        assert missing["isError"] is True
    finally:
        await session.close()


async def test_index_follows_the_catalog_without_reindex(hub: HubServer, smart: McpSession) -> None:
    assert not await search(smart, "zebra stripes")
    direct = await McpSession.open(f"http://{hub.address}", "/mcp/ev", admin_headers(hub))
    try:
        await direct.call_tool("ev-add_tool", {"name": "count_zebraStripes"})
    finally:
        await direct.close()

    async def found(query: str) -> set[str]:
        return {r["name"] for r in await search(smart, query)}

    async def listed() -> bool:
        return "ev-count_zebraStripes" in await found("zebra stripes")

    # Searchable within 5 s of the upstream's list change, no reindex asked.
    await wait_for(listed, 5)
    # A description override is searchable at once; the old words are gone.
    live = hub.hub.config
    config = live.servers["hang"].model_copy(deep=True)
    config.tools = {"hang-hang": ItemOverride(description="Waits for a narwhal forever")}
    await live.put_server("hang", config)
    await hub.hub.smart.settled()
    assert "hang-hang" in await found("narwhal")
    # A disabled server leaves the index.
    config = live.servers["hang"].model_copy(update={"enabled": False})
    await live.put_server("hang", config)
    await hub.hub.smart.settled()
    assert not await found("narwhal")


async def test_a_new_server_is_searchable_within_5_s_without_reindex(
    hub: HubServer, smart: McpSession, everything: UpstreamProc, admin_client: HubClient
) -> None:
    assert not [r for r in await search(smart, "echo", 50) if r["serverName"] == "late"]
    r = await admin_client.post(
        "/api/servers", json={"name": "late", "config": http_server(everything.url)}
    )
    assert r.status_code in (200, 201), r.text

    async def found() -> bool:
        return "late-echo" in {r["name"] for r in await search(smart, "echo", 50)}

    elapsed = await wait_for(found, 5)
    assert elapsed < 5


async def test_2026_client_and_legacy_sse_reach_smart(hub: HubServer) -> None:
    auth = admin_headers(hub)
    async with httpx2.AsyncClient(base_url=f"http://{hub.address}", timeout=10) as http:

        async def modern(method: str, params: dict[str, Any], name: str | None = None) -> Any:
            headers = {"Accept": ACCEPT, "MCP-Protocol-Version": MODERN, "Mcp-Method": method}
            if name is not None:
                headers["Mcp-Name"] = name
            body = {"jsonrpc": "2.0", "id": 1, "method": method, "params": params}
            body["params"]["_meta"] = ENVELOPE
            r = await http.post("/mcp/$smart", content=json.dumps(body), headers=headers | auth)
            assert r.status_code == 200, r.text
            return reply(r)["result"]

        listed = await modern("tools/list", {})
        assert {tool["name"] for tool in listed["tools"]} == {"search_tools", "call_tool"}
        args = {"query": "add two numbers"}
        found = await modern(
            "tools/call", {"name": "search_tools", "arguments": args}, "search_tools"
        )
        assert payload(found)["tools"][0]["name"] in {"ev-add", "mine-add"}
        args = {"toolName": "ev-add", "arguments": {"a": 2, "b": 3}}
        added = await modern("tools/call", {"name": "call_tool", "arguments": args}, "call_tool")
        assert added["structuredContent"] == {"result": 5}
    url = f"http://{hub.address}/sse/$smart/echoes"
    async with sse_client(url, headers=admin_headers(hub)) as (r, w), ClientSession(r, w) as s:
        await s.initialize()
        result = await s.call_tool("search_tools", {"query": "echo"})
        assert isinstance(result.content[0], t.TextContent)
        assert [x["name"] for x in json.loads(result.content[0].text)["tools"]] == ["ev-echo"]
        echoed = await s.call_tool("call_tool", {"toolName": "ev-echo", "arguments": {"text": "s"}})
        assert echoed.structured_content == {"text": "s"}
    await wait_for(lambda: len(hub.hub.mcp.sessions) == 0)


async def test_reindex_route_and_provider_checks(hub: HubServer, admin_client: HubClient) -> None:
    r = await admin_client.post("/api/smart-routing/reindex")
    assert r.status_code == 200, r.text
    data = r.json()["data"]
    assert data["provider"] == "lexical" and data["tools"] == len(hub.hub.smart.catalog_docs())
    await hub.hub.config.put_user(User(username="bob", password="!"), create=True)
    bob = HubClient(f"http://{hub.address}", issue_token(hub.hub.jwt_secret, "bob", False, 0))
    try:
        r = await bob.post("/api/smart-routing/reindex")
        assert r.status_code == 403 and r.json()["success"] is False
    finally:
        await bob.aclose()
    for bad, words in (
        ({"embeddingProvider": "nope"}, "Unknown smartRouting.embeddingProvider"),
        ({"embeddingProvider": "openai", "openaiApiKey": ""}, "openai"),
    ):
        r = await admin_client.put("/api/system-config", json={"smartRouting": bad})
        assert r.status_code == 400, r.text
        assert words in r.json()["message"] and r.json()["success"] is False
    assert hub.hub.config.system.smart_routing.embedding_provider == "lexical"
    r = await admin_client.put("/api/system-config", json={"smartRouting": {"enabled": False}})
    assert r.status_code == 200
    r = await admin_client.post("/api/smart-routing/reindex")
    assert r.status_code == 400 and "not enabled" in r.json()["message"]


async def test_disabled_smart_routing_lists_meta_tools_and_finds_nothing(
    hub: HubServer, smart: McpSession, admin_client: HubClient
) -> None:
    r = await admin_client.put("/api/system-config", json={"smartRouting": {"enabled": False}})
    assert r.status_code == 200
    await hub.hub.smart.settled()
    assert {tool["name"] for tool in await smart.list_tools()} == {"search_tools", "call_tool"}
    assert await search(smart, "echo") == []
    assert hub.hub.smart.index is None
