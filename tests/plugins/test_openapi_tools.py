"""OpenAPI specs to MCP tools: names, input schemas, $ref handling, base URLs, bad specs."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from mcphub_openapi.config import OpenAPIConfig
from mcphub_openapi.loader import SpecError, base_url
from mcphub_openapi.service import OpenAPIService

from tests.openapi_fixtures import RestApi, petstore, start_rest_api

PETSTORE_URL = "https://petstore3.swagger.io/api/v3/openapi.json"


@pytest.fixture(scope="module")
def rest_api() -> Iterator[RestApi]:
    api = start_rest_api()
    yield api
    api.stop()


async def load(fallback: str | None = None, **openapi: Any) -> OpenAPIService:
    return await OpenAPIService.load(OpenAPIConfig.model_validate(openapi), fallback_url=fallback)


@pytest.fixture
async def pets() -> AsyncIterator[OpenAPIService]:
    service = await load(PETSTORE_URL, schema=petstore())
    yield service
    await service.aclose()


def _refs(node: Any) -> int:
    if isinstance(node, dict):
        return ("$ref" in node) + sum(_refs(v) for v in node.values())
    if isinstance(node, list):
        return sum(_refs(v) for v in node)
    return 0


async def test_petstore_tools_are_its_operations(pets: OpenAPIService) -> None:
    tools = {t["name"]: t for t in pets.tools()}
    assert set(tools) == {
        "updatePet", "addPet", "findPetsByStatus", "findPetsByTags", "getPetById",
        "updatePetWithForm", "deletePet", "uploadFile", "getInventory", "placeOrder",
        "getOrderById", "deleteOrder", "createUser", "createUsersWithListInput", "loginUser",
        "logoutUser", "getUserByName", "updateUser", "deleteUser",
    }  # fmt: skip
    assert pets.spec.base_url == "https://petstore3.swagger.io/api/v3"
    assert _refs([t["inputSchema"] for t in tools.values()]) == 0

    by_id = tools["getPetById"]
    assert by_id["description"] == "Find pet by ID.\n\nReturns a single pet."
    assert by_id["inputSchema"]["properties"]["petId"]["type"] == "integer"
    assert by_id["inputSchema"]["required"] == ["petId"]
    assert by_id["annotations"]["readOnlyHint"] is True

    status = tools["findPetsByStatus"]["inputSchema"]["properties"]["status"]
    assert status["enum"] == ["available", "pending", "sold"] and status["default"] == "available"

    body = tools["addPet"]["inputSchema"]["properties"]["body"]
    assert tools["addPet"]["inputSchema"]["required"] == ["body"]
    assert body["required"] == ["name", "photoUrls"]
    assert body["properties"]["category"]["properties"]["name"]["examples"] == ["Dogs"]
    assert "xml" not in body and "xml" not in body["properties"]["photoUrls"]

    delete = tools["deletePet"]
    assert set(delete["inputSchema"]["properties"]) == {"petId", "api_key"}
    assert delete["annotations"]["destructiveHint"] is True
    upload = tools["uploadFile"]["inputSchema"]["properties"]
    assert upload["body"] == {"type": "string", "format": "binary"}
    assert "required" not in tools["getInventory"]["inputSchema"]


async def test_petstore_relative_server_needs_a_location() -> None:
    with pytest.raises(SpecError, match="no base URL"):
        await load(schema=petstore())


async def test_rest_api_tools_collisions_recursion_and_refs(rest_api: RestApi) -> None:
    service = await load(url=rest_api.spec_url)
    try:
        tools = {t["name"]: t for t in service.tools()}
        assert service.spec.base_url == f"{rest_api.origin}/v1"
        assert set(tools) >= {"listItems", "createItem", "getItem", "deleteItem", "get_basic"}
        assert "post_tree" in tools  # no operationId: method + literal path segments

        get_item = tools["getItem"]["inputSchema"]
        assert get_item["properties"]["itemId"] == {
            "type": "integer",
            "description": "The item's id",
        }
        assert set(get_item["properties"]) == {"itemId", "X-Request-Id"}

        collide = tools["collide"]["inputSchema"]["properties"]
        assert set(collide) == {"id", "query_id", "query_body", "body"}

        tree = tools["post_tree"]["inputSchema"]["properties"]["body"]
        # The cycle is cut where it closes: the inner Node accepts anything.
        assert "recursive" in tree["properties"]["children"]["items"]["description"]
        assert _refs(tree) == 0

        item = tools["createItem"]["inputSchema"]["properties"]["body"]
        assert item["required"] == ["name"]
    finally:
        await service.aclose()


async def test_yaml_spec_gives_the_same_tools(rest_api: RestApi) -> None:
    from_json = await load(url=rest_api.spec_url)
    from_yaml = await load(url=f"{rest_api.origin}/openapi.yaml")
    try:
        assert from_yaml.tools() == from_json.tools()
    finally:
        await from_json.aclose()
        await from_yaml.aclose()


def test_fallback_names_are_unique_and_sanitised() -> None:
    from mcphub_openapi.loader import Resolver
    from mcphub_openapi.tools import build_operations

    doc = {
        "openapi": "3.0.3",
        "info": {"title": "t", "version": "1"},
        "paths": {
            "/": {"get": {"responses": {}}},
            "/users/{id}": {"get": {"responses": {}}},
            "/users": {"get": {"responses": {}}},
            "/x": {"post": {"operationId": "make thing/now!", "responses": {}}},
            "/y": {"post": {"operationId": "make thing/now!", "responses": {}}},
        },
    }
    names = [op.tool for op in build_operations(doc, Resolver(doc), "3.0")]
    assert names == ["get_root", "get_users", "get_users_1", "make_thing_now", "make_thing_now_1"]


def test_openapi_30_nullable_becomes_json_schema() -> None:
    from mcphub_openapi.tools import json_schema

    schema = {
        "type": "object",
        "properties": {
            "a": {"type": "string", "nullable": True, "example": "x"},
            "b": {"type": "integer", "minimum": 1, "exclusiveMinimum": True},
        },
    }
    out = json_schema(schema, "3.0")
    assert out["properties"]["a"] == {"type": ["string", "null"], "examples": ["x"]}
    assert out["properties"]["b"] == {"type": "integer", "exclusiveMinimum": 1}
    assert schema["properties"]["a"]["nullable"] is True  # the input is untouched


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ({"swagger": "2.0", "paths": {}}, "Swagger 2.0"),
        ({"openapi": "4.0.0", "paths": {}}, "unsupported OpenAPI version"),
        ({"openapi": "3.1.0", "paths": []}, "paths is not an object"),
        (
            {
                "openapi": "3.1.0",
                "paths": {"/a": {"get": {"parameters": [{"$ref": "#/components/parameters/X"}]}}},
            },
            "unresolvable \\$ref",
        ),
        (
            {
                "openapi": "3.1.0",
                "paths": {"/a": {"get": {"parameters": [{"$ref": "http://evil/x.json#/p"}]}}},
            },
            "external \\$ref",
        ),
    ],
)
async def test_bad_documents_are_refused_in_one_line(
    document: dict[str, Any], message: str
) -> None:
    with pytest.raises(SpecError, match=message) as info:
        await load("http://127.0.0.1:1/", schema=document)
    assert "\n" not in str(info.value)


async def test_bad_spec_urls_are_refused(rest_api: RestApi) -> None:
    with pytest.raises(SpecError, match="unresolvable"):
        await load(url=f"{rest_api.origin}/broken.json")
    with pytest.raises(SpecError, match="HTTP 404"):
        await load(url=f"{rest_api.origin}/missing.json")
    with pytest.raises(SpecError, match="ConnectError"):
        await load(url="http://127.0.0.1:9/openapi.json")


def test_config_model_rejects_incomplete_sections() -> None:
    with pytest.raises(ValueError, match="url or schema"):
        OpenAPIConfig.model_validate({})
    with pytest.raises(ValueError, match=r"security\.apiKey is missing"):
        OpenAPIConfig.model_validate({"url": "http://a/x", "security": {"type": "apiKey"}})
    with pytest.raises(ValueError, match="digest"):
        OpenAPIConfig.model_validate(
            {"url": "http://a/x", "security": {"type": "http", "http": {"scheme": "digest"}}}
        )
    cfg = OpenAPIConfig.model_validate(
        {"schema": {"openapi": "3.1.0"}, "passthroughHeaders": ["X"]}
    )
    assert cfg.spec == {"openapi": "3.1.0"} and cfg.passthrough_headers == ["X"]
    assert json.loads(cfg.model_dump_json(by_alias=True, exclude_none=True))["schema"]


@pytest.mark.parametrize(
    ("servers", "spec_url", "expected"),
    [
        (None, "http://h:1/docs/openapi.json", "http://h:1"),
        (
            [{"url": "https://api.example.com/v2/"}],
            "http://h:1/openapi.json",
            "https://api.example.com/v2",
        ),
        ([{"url": "/v1"}], "http://h:1/docs/openapi.json", "http://h:1/v1"),
        ([{"url": "v1"}], "http://h:1/docs/openapi.json", "http://h:1/docs/v1"),
        (
            [
                {
                    "url": "http://{host}/{base}",
                    "variables": {"host": {"default": "h:2"}, "base": {"default": "b"}},
                }
            ],
            None,
            "http://h:2/b",
        ),
        ([{"url": "/v1"}], None, ""),
    ],
)
def test_base_url_rules(servers: Any, spec_url: str | None, expected: str) -> None:
    doc: dict[str, Any] = {"openapi": "3.1.0"}
    if servers is not None:
        doc["servers"] = servers
    assert base_url(doc, spec_url, None) == expected
