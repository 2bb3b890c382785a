"""Calling OpenAPI tools against the real REST API: parameters, security, results, errors."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx2
import pytest
from mcphub_openapi.config import OpenAPIConfig
from mcphub_openapi.service import OpenAPIService

from tests.openapi_fixtures import RestApi, start_rest_api

KEY = {"type": "apiKey", "apiKey": {"value": "test-key"}}


@pytest.fixture(scope="module")
def rest_api() -> Iterator[RestApi]:
    api = start_rest_api()
    yield api
    api.stop()


@pytest.fixture
async def connect(rest_api: RestApi) -> AsyncIterator[Any]:
    """``await connect(**openapi)`` loads the REST API's spec with that config."""
    opened: list[OpenAPIService] = []

    async def make(headers: dict[str, str] | None = None, **openapi: Any) -> OpenAPIService:
        config = OpenAPIConfig.model_validate({"url": rest_api.spec_url, **openapi})
        service = await OpenAPIService.load(config, headers=headers, call_timeout=5.0)
        opened.append(service)
        return service

    yield make
    for service in opened:
        await service.aclose()


async def stats(api: RestApi) -> dict[str, Any]:
    async with httpx2.AsyncClient() as client:
        return (await client.get(f"{api.origin}/stats")).json()


async def test_results_are_structured_and_wrapped(connect: Any) -> None:
    api = await connect(security=KEY)
    listed = await api.call("listItems", {"limit": 5})
    assert not listed.get("isError")
    assert listed["structuredContent"]["result"][0]["name"] == "widget"
    assert '"widget"' in listed["content"][0]["text"]

    created = await api.call("createItem", {"body": {"name": "gadget", "price": 3}})
    assert created["structuredContent"]["name"] == "gadget"
    item_id = created["structuredContent"]["id"]
    got = await api.call("getItem", {"itemId": item_id, "X-Request-Id": "r-1"})
    assert got["structuredContent"] == {**created["structuredContent"], "requestId": "r-1"}
    tagged = await api.call("listItems", {"tag": ["a"]})
    assert [i["name"] for i in tagged["structuredContent"]["result"]] == ["widget"]


async def test_http_errors_are_tool_errors(connect: Any) -> None:
    api = await connect(security=KEY)
    missing = await api.call("getItem", {"itemId": 999})
    assert missing["isError"] is True
    text = missing["content"][0]["text"]
    assert text.startswith("HTTP 404") and "no item 999" in text

    anonymous = await connect()
    refused = await anonymous.call("listItems", {})
    assert refused["isError"] and refused["content"][0]["text"].startswith("HTTP 401")
    no_path = await api.call("getItem", {})
    assert no_path["isError"] and "itemId" in no_path["content"][0]["text"]


async def test_parameters_are_serialised_by_style(connect: Any) -> None:
    api = await connect(headers={"X-Static": "s"})
    echo = await api.call(
        "echo",
        {
            "q": "a b/c",
            "n": 3,
            "flag": True,
            "ids": [1, 2],
            "filter": {"color": "red"},
            "X-Trace": "t-9",
            "session": "abc",
        },
    )
    data = echo["structuredContent"]
    assert data["query"] == {
        "q": ["a b/c"],
        "n": ["3"],
        "flag": ["true"],
        "ids": ["1,2"],
        "filter[color]": ["red"],
    }
    assert data["headers"]["x-trace"] == "t-9" and data["headers"]["x-static"] == "s"
    assert data["cookies"] == {"session": "abc"}

    collide = await api.call(
        "collide", {"id": "p/1", "query_id": "q", "query_body": "qb", "body": {"k": 1}}
    )
    # The route only matches one path segment, so the slash arrived encoded.
    assert collide["structuredContent"] == {
        "path": "p/1",
        "query": {"id": "q", "body": "qb"},
        "body": {"k": 1},
    }


async def test_text_responses_and_public_operations(connect: Any) -> None:
    api = await connect(security={"type": "http", "http": {"scheme": "bearer", "credentials": "x"}})
    hello = await api.call("hello", {"name": "bob"})
    assert hello["content"] == [{"type": "text", "text": "hello, bob"}]
    assert "structuredContent" not in hello
    echo = await api.call("echo", {})  # security: [] -> no credentials sent
    assert echo["structuredContent"]["authorization"] is None
    tree = await api.call("post_tree", {"body": {"name": "r", "children": [{"name": "c"}]}})
    assert tree["structuredContent"] == {"nodes": 2}


@pytest.mark.parametrize(
    ("api_key", "where"),
    [
        ({"value": "test-key"}, "header"),  # name and location from the spec
        ({"name": "api_key", "in": "query", "value": "test-key"}, "query"),
        ({"name": "api_key", "in": "cookie", "value": "test-key"}, "cookie"),
    ],
)
async def test_api_key_locations(connect: Any, api_key: dict[str, str], where: str) -> None:
    api = await connect(security={"type": "apiKey", "apiKey": api_key})
    result = await api.call("keyLocation", {})
    assert result["structuredContent"] == {"in": where}


async def test_bearer_basic_and_static_oauth_token(connect: Any) -> None:
    bearer = await connect(
        security={"type": "http", "http": {"scheme": "bearer", "credentials": "test-token"}}
    )
    assert (await bearer.call("whoami", {}))["structuredContent"] == {"auth": "static"}
    assert (await bearer.call("deleteItem", {"itemId": 42}))["content"][0]["text"] == (
        "HTTP 204 (empty response)"
    )
    for credentials in ("alice:secret", "YWxpY2U6c2VjcmV0"):
        basic = await connect(
            security={"type": "http", "http": {"scheme": "basic", "credentials": credentials}}
        )
        assert (await basic.call("get_basic", {}))["structuredContent"] == {"user": "alice"}
    static = await connect(security={"type": "oauth2", "oauth2": {"token": "test-token"}})
    assert (await static.call("whoami", {}))["structuredContent"] == {"auth": "static"}


async def test_oauth2_client_credentials_fetch_and_refresh() -> None:
    api = start_rest_api("--token-ttl", "0.5")
    service = await OpenAPIService.load(
        OpenAPIConfig.model_validate(
            {
                "url": api.spec_url,
                "security": {
                    "type": "oauth2",
                    "oauth2": {"clientId": "hub-client", "clientSecret": "hub-secret"},
                },
            }
        )
    )
    try:
        # tokenUrl comes from the spec's clientCredentials flow (relative to the spec URL).
        for _ in range(3):
            assert (await service.call("whoami", {}))["structuredContent"] == {
                "auth": "client-credentials"
            }
        assert (await stats(api))["tokensIssued"] == 1
        await asyncio.sleep(0.6)  # past the 0.5 s token lifetime: the expiry is under test
        assert (await service.call("whoami", {}))["structuredContent"] == {
            "auth": "client-credentials"
        }
        assert (await stats(api))["tokensIssued"] == 2
    finally:
        await service.aclose()
        api.stop()


async def test_wrong_client_secret_is_a_tool_error(connect: Any) -> None:
    api = await connect(
        security={"type": "oauth2", "oauth2": {"clientId": "hub-client", "clientSecret": "no"}}
    )
    result = await api.call("whoami", {})
    assert result["isError"] and "token request failed: HTTP 401" in result["content"][0]["text"]
    assert "no" not in result["content"][0]["text"].split("HTTP 401")[-1]


async def test_passthrough_headers_only_the_named_ones(connect: Any) -> None:
    api = await connect(passthroughHeaders=["X-Tenant"])
    echo = await api.call("echo", {}, {"x-tenant": "t1", "x-other": "no"})
    headers = echo["structuredContent"]["headers"]
    assert headers.get("x-tenant") == "t1" and "x-other" not in headers


async def test_timeouts_and_unreachable_apis_are_tool_errors(connect: Any) -> None:
    api = await connect()
    api.timeout = 0.3
    slow = await api.call("slow", {"seconds": 2})
    assert slow["isError"] and "timed out after" in slow["content"][0]["text"]
    doc = {
        "openapi": "3.1.0",
        "info": {"title": "t", "version": "1"},
        "servers": [{"url": "http://127.0.0.1:9"}],
        "paths": {"/x": {"get": {"operationId": "x", "responses": {}}}},
    }
    dead = await OpenAPIService.load(OpenAPIConfig.model_validate({"schema": doc}))
    try:
        result = await dead.call("x", {})
        assert result["isError"] and "ConnectError" in result["content"][0]["text"]
        assert (await dead.call("nope", {}))["content"][0]["text"] == "Unknown tool: nope"
    finally:
        await dead.aclose()


async def test_request_validation_is_opt_in(connect: Any, rest_api: RestApi) -> None:
    loose = await connect(security=KEY)
    strict = await connect(security=KEY, validateRequests=True)
    assert strict.validator is not None and loose.validator is None

    before = (await stats(rest_api))["requests"]
    bad = await strict.call("createItem", {"body": {"price": -1}})
    assert bad["isError"] and bad["content"][0]["text"].startswith("Invalid arguments")
    low = await strict.call("listItems", {"limit": 0})
    assert low["isError"] and "limit" in low["content"][0]["text"]
    assert (await stats(rest_api))["requests"] == before  # refused before sending

    ok = await strict.call("getItem", {"itemId": 1, "X-Request-Id": "v"})
    assert ok["structuredContent"]["requestId"] == "v"
    loose_bad = await loose.call("createItem", {"body": {"price": -1}})
    assert loose_bad["isError"] and loose_bad["content"][0]["text"].startswith("HTTP 400")


async def test_a_required_body_left_out_is_refused_before_any_request(
    connect: Any, rest_api: RestApi
) -> None:
    """``createItem``'s requestBody is required: no argument means no call with an empty body."""
    api = await connect(security=KEY)
    before = (await stats(rest_api))["requests"]
    for arguments in ({}, {"body": None}):
        result = await api.call("createItem", arguments)
        assert result["isError"] is True
        text = result["content"][0]["text"]
        assert "required request body" in text and "'body'" in text, text
    assert (await stats(rest_api))["requests"] == before
