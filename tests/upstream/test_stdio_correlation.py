"""A stdio upstream's sampling/elicitation/roots requests reach the caller whose call asked.

The conformance fixture runs as two stdio upstreams: ``tagged`` names the call of each
request in ``_meta`` (progress token, related request id), ``untagged`` does not. Callers are
real SDK clients of the hub, in both eras.
"""

from __future__ import annotations

import asyncio
import json
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any

import httpx2
import mcp_types as t
import pytest
from mcp import Client, ClientSession
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.exceptions import MCPError

from hub.server import HubServer
from hub.testing import ACCEPT, wait_for
from tests.mcp_fixtures import ENVELOPE, MODERN, wait_connected
from tests.upstreams_fixtures import conformance_stdio, logged_events


@pytest.fixture
def hub_settings(tmp_path: Path) -> dict[str, Any]:
    return {
        "mcpServers": {
            "tagged": conformance_stdio(tmp_path / "tagged.log"),
            "untagged": conformance_stdio(tmp_path / "untagged.log", "--untagged"),
        },
        "systemConfig": {"routing": {"enableBearerAuth": False}},
    }


@pytest.fixture
async def hub(hub_server: HubServer) -> HubServer:
    await wait_connected(hub_server.hub, "tagged", "untagged", within=60)
    return hub_server


class Person:
    """A 2025 client whose elicitation answers carry its own name, and that can be held."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.asked: list[str] = []
        self.question = asyncio.Event()
        self.release = asyncio.Event()

    async def elicit(self, context: Any, params: t.ElicitRequestParams) -> t.ElicitResult:
        self.asked.append(params.message)
        self.question.set()
        await self.release.wait()
        content: dict[str, str | int | float | bool | list[str] | None] = {
            "username": self.name,
            "email": f"{self.name}@example.org",
        }
        return t.ElicitResult(action="accept", content=content)


async def open_session(stack: AsyncExitStack, hub: HubServer, person: Person) -> ClientSession:
    read, write = await stack.enter_async_context(
        streamable_http_client(f"http://{hub.address}/mcp")
    )
    session = await stack.enter_async_context(
        ClientSession(read, write, elicitation_callback=person.elicit)
    )
    await session.initialize()
    return session


def text(result: t.CallToolResult) -> str:
    first = result.content[0]
    assert isinstance(first, t.TextContent)
    return first.text


async def test_concurrent_calls_each_get_their_own_questions(hub: HubServer) -> None:
    ann, bob = Person("ann"), Person("bob")
    async with AsyncExitStack() as stack:
        a = await open_session(stack, hub, ann)
        b = await open_session(stack, hub, bob)
        call_a = asyncio.ensure_future(
            a.call_tool("tagged-test_elicitation", {"message": "for ann"})
        )
        call_b = asyncio.ensure_future(
            b.call_tool("tagged-test_elicitation", {"message": "for bob"})
        )
        # Both questions are out before either is answered: two calls in flight at once.
        await asyncio.wait_for(asyncio.gather(ann.question.wait(), bob.question.wait()), 30)
        ann.release.set()
        bob.release.set()
        result_a, result_b = await asyncio.wait_for(asyncio.gather(call_a, call_b), 30)
    assert ann.asked == ["for ann"] and bob.asked == ["for bob"]
    assert '"username": "ann"' in text(result_a) and not result_a.is_error
    assert '"username": "bob"' in text(result_b) and not result_b.is_error


async def test_an_untagged_request_with_two_callers_is_refused_not_guessed(
    hub: HubServer, tmp_path: Path
) -> None:
    ann, bob = Person("ann"), Person("bob")
    async with AsyncExitStack() as stack:
        a = await open_session(stack, hub, ann)
        b = await open_session(stack, hub, bob)
        # Alone in flight, ann's call is unambiguous; hold its answer so it stays in flight.
        call_a = asyncio.ensure_future(
            a.call_tool("untagged-test_elicitation", {"message": "for ann"})
        )
        await asyncio.wait_for(ann.question.wait(), 30)
        bob.release.set()
        with pytest.raises(MCPError, match="no downstream client to relay to"):
            await asyncio.wait_for(
                b.call_tool("untagged-test_elicitation", {"message": "for bob"}), 30
            )
        ann.release.set()
        result_a = await asyncio.wait_for(call_a, 30)
    assert ann.asked == ["for ann"] and bob.asked == []
    assert '"username": "ann"' in text(result_a)
    refused = [line for line in logged_events(tmp_path, "untagged") if line.startswith("refused")]
    assert len(refused) == 1
    assert "no downstream client to relay to" in refused[0]
    assert "2 downstream callers" in refused[0]


async def test_2026_client_elicitation_through_a_2025_stdio_upstream(hub: HubServer) -> None:
    asked: list[str] = []

    async def elicit(context: Any, params: t.ElicitRequestParams) -> t.ElicitResult:
        asked.append(params.message)
        return t.ElicitResult(action="accept", content={"username": "cy", "email": "cy@x"})

    async with Client(f"http://{hub.address}/mcp", mode=MODERN, elicitation_callback=elicit) as c:
        result = await c.call_tool("untagged-test_elicitation", {"message": "modern?"})
    assert asked == ["modern?"]
    assert '"username": "cy"' in text(result)
    assert not hub.hub.mcp.bridge.calls


async def test_2026_call_needing_an_undeclared_capability_gets_32021_and_the_upstream_an_error(
    hub: HubServer, tmp_path: Path
) -> None:
    headers = {
        "Accept": ACCEPT,
        "MCP-Protocol-Version": MODERN,
        "Mcp-Method": "tools/call",
        "Mcp-Name": "tagged-test_missing_capability",
    }
    params = {"name": "tagged-test_missing_capability", "arguments": {}, "_meta": ENVELOPE}
    body = {"jsonrpc": "2.0", "id": 3, "method": "tools/call", "params": params}
    async with httpx2.AsyncClient(base_url=f"http://{hub.address}", timeout=30) as http:
        refused = await http.post("/mcp", content=json.dumps(body), headers=headers)
    assert refused.status_code == 400
    error = refused.json()["error"]
    assert error["code"] == -32021
    assert error["data"]["requiredCapabilities"] == {"sampling": {}}
    await wait_for(
        lambda: any(
            line.startswith("refused sampling/createMessage -32021")
            for line in logged_events(tmp_path, "tagged")
        ),
        10,
    )
    await wait_for(lambda: not hub.hub.mcp.bridge.calls, 10)
