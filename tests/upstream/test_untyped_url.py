"""A url without ``type`` is SSE for MCPHub; when the upstream does not speak SSE the hub
tries streamable HTTP, and says which type to set when neither answers."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from hub.testing import HubClient
from tests.api_fixtures import wait_server
from tests.openapi_fixtures import RestApi, start_rest_api


@pytest.fixture(scope="module")
def rest_api() -> Iterator[RestApi]:
    api = start_rest_api()
    yield api
    api.stop()


async def test_an_untyped_streamable_http_url_connects(
    admin_client: HubClient, everything_http: str
) -> None:
    r = await admin_client.post(
        "/api/servers", json={"name": "ev", "config": {"url": everything_http}}
    )
    assert r.status_code == 200, r.text
    summary = await wait_server(admin_client, "ev", "connected")
    assert any(t["name"] == "ev-echo" for t in summary["tools"])


async def test_a_url_that_speaks_neither_says_which_type_to_set(
    admin_client: HubClient, rest_api: RestApi
) -> None:
    config = {"url": f"{rest_api.origin}/no-mcp-here"}
    r = await admin_client.post("/api/servers", json={"name": "rest", "config": config})
    assert r.status_code == 200, r.text
    summary = await wait_server(admin_client, "rest", "disconnected")
    error = summary["error"] or ""
    assert 'set "type"' in error and "streamable-http" in error, error
