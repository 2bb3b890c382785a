"""List pages served from their cached JSON bytes: same answer as a fresh encoding, every page."""

from __future__ import annotations

import json
import sys
from typing import Any

import httpx2
import pytest

from hub.server import HubServer
from hub.testing import RawMcp
from tests.mcp_fixtures import ROOT, open_settings, wait_connected

TOOLS = 600
"""More than one page (500), so the second page and its cursor are spliced too."""


@pytest.fixture
def hub_settings() -> dict[str, Any]:
    script = str(ROOT / "bench" / "upstream.py")
    args = [script, "--transport", "stdio", "--tools", str(TOOLS)]
    return open_settings({"big": {"command": sys.executable, "args": args}})


async def every_page(mcp: RawMcp, rid: Any) -> list[dict[str, Any]]:
    pages: list[dict[str, Any]] = []
    cursor = None
    while True:
        body: dict[str, Any] = {"jsonrpc": "2.0", "id": rid, "method": "tools/list"}
        if cursor is not None:
            body["params"] = {"cursor": cursor}
        r = await mcp.post(body)
        assert r.status_code == 200
        assert r.headers["content-type"].startswith("application/json")
        assert r.headers["Mcp-Session-Id"] == mcp.session
        message = json.loads(r.content)
        assert message["jsonrpc"] == "2.0" and message["id"] == rid
        pages.append(message["result"])
        cursor = message["result"].get("nextCursor")
        if cursor is None:
            return pages


async def test_cached_pages_match_the_first_answer(hub_server: HubServer) -> None:
    await wait_connected(hub_server.hub, "big")
    async with httpx2.AsyncClient(base_url=f"http://{hub_server.address}") as http:
        mcp = RawMcp(http, "/mcp")
        assert (await mcp.initialize()).status_code == 200
        first = await every_page(mcp, 1)  # encodes and caches each page
        again = await every_page(mcp, "second")  # spliced from the cached bytes
        other = RawMcp(http, "/mcp")
        await other.initialize()
        third = await every_page(other, 7)
    assert len(first) == 2 and "nextCursor" in first[0]
    assert first == again == third
    names = [tool["name"] for page in first for tool in page["tools"]]
    assert len(names) == len(set(names)) == TOOLS
    assert names[0] == "big-echo"
