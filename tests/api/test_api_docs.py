"""``GET /api/docs/openapi.json``: a valid OpenAPI 3.1 document covering every route of the
core families, with request and response schemas taken from the routes' models."""

from __future__ import annotations

import importlib
from typing import Any

import tornado.web
from openapi_spec_validator import validate

from hub.api.api_spec import _path
from hub.testing import HubClient

MODULES = (
    "hub.api.servers",
    "hub.api.items",
    "hub.api.settings",
    "hub.api.logs",
    "hub.api.api_spec",
)
METHODS = ("get", "post", "put", "delete", "patch")


def implemented(handler: type[tornado.web.RequestHandler]) -> list[str]:
    base = tornado.web.RequestHandler
    return [m for m in METHODS if getattr(handler, m) is not getattr(base, m)]


def resolve(doc: dict[str, Any], ref: str) -> dict[str, Any]:
    assert ref.startswith("#/components/schemas/"), ref
    return doc["components"]["schemas"][ref.rsplit("/", 1)[-1]]  # type: ignore[no-any-return]


def refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        found = [node["$ref"]] if "$ref" in node else []
        return found + [r for v in node.values() for r in refs(v)]
    if isinstance(node, list):
        return [r for v in node for r in refs(v)]
    return []


async def test_document_covers_every_route(
    api: HubClient, alice: HubClient, hub_client: HubClient
) -> None:
    assert (await hub_client.get("/api/docs/openapi.json")).status_code == 401
    r = await alice.get("/api/docs/openapi.json")
    assert r.status_code == 200
    doc = r.json()
    validate(doc)
    assert doc["openapi"].startswith("3.1")
    for ref in refs(doc):
        assert resolve(doc, ref)

    for module in MODULES:
        for pattern, handler in importlib.import_module(module).default_handlers:
            path, params = _path(pattern)
            assert path in doc["paths"], path
            for method in implemented(handler):
                op = doc["paths"][path][method]
                assert op["summary"], (path, method)
                assert {p["name"] for p in op.get("parameters", []) if p["in"] == "path"} == set(
                    params
                )
                assert "200" in op["responses"] and "401" in op["responses"]

    servers = doc["paths"]["/api/servers"]
    body = servers["post"]["requestBody"]["content"]["application/json"]["schema"]
    create = resolve(doc, body["$ref"])
    assert set(create["required"]) == {"name", "config"}
    assert "409" in servers["post"]["responses"] and "413" in servers["post"]["responses"]
    listed = resolve(
        doc, servers["get"]["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
    )
    assert {"success", "data", "pagination"} <= set(listed["properties"])
    summary = resolve(doc, listed["properties"]["data"]["items"]["$ref"])
    assert {"name", "status", "tools", "prompts", "resources", "createTime", "enabled"} <= set(
        summary["required"]
    )
    batch = doc["paths"]["/api/servers/batch"]["post"]["responses"]
    assert {"200", "207", "400"} <= set(batch)
    assert "403" in doc["paths"]["/api/system-config"]["put"]["responses"]
    stream = doc["paths"]["/api/logs/stream"]["get"]["responses"]["200"]["content"]
    assert list(stream) == ["text/event-stream"]
    toggle = doc["paths"]["/api/servers/{name}/resources/{resourceUri}/toggle"]["post"]
    assert (
        resolve(doc, toggle["requestBody"]["content"]["application/json"]["schema"]["$ref"])[
            "properties"
        ]["enabled"]["type"]
        == "boolean"
    )


async def test_new_refusals_are_documented(admin_client: HubClient) -> None:
    """Issue 20: enabling a stdio server needs host rights (403), and a separator that makes
    server names ambiguous is refused (409); the document says so, for schemathesis."""
    doc = (await admin_client.get("/api/docs/openapi.json")).json()
    assert "403" in doc["paths"]["/api/servers/{name}/toggle"]["post"]["responses"]
    assert "409" in doc["paths"]["/api/system-config"]["put"]["responses"]
