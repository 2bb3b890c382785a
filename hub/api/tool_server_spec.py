"""The hub's tools as an OpenAPI 3.1 document, the way OpenWebUI-style tool servers read it.

One operation per tool at ``/tools/{server}/{tool}`` (MCPHub's paths and method rule: GET with
query parameters when every argument is a number, integer or boolean and there are at most
ten, else POST with the arguments as the JSON body). MCP tool schemas are JSON Schema 2020-12,
which OpenAPI 3.1 takes as is (MCPHub labels them 3.0.3, which they often are not), except
that local ``$defs`` references must be re-pointed: each tool's definitions move to
``components/schemas`` under a per-tool prefix. A schema that is not valid JSON Schema is
replaced by a bare object so one bad upstream cannot spoil the document.
"""

from __future__ import annotations

import logging
import re
from typing import Any
from urllib.parse import quote

log = logging.getLogger(__name__)

PRIMITIVE = frozenset({"number", "integer", "boolean"})
MAX_QUERY_PARAMS = 10
_COMPONENT = re.compile(r"[^A-Za-z0-9._-]+")
_LOCAL_DEFS = ("#/$defs/", "#/definitions/")

RESULT_SCHEMA = {
    "type": "object",
    "description": "The MCP CallToolResult of the call.",
    "properties": {
        "content": {"type": "array", "items": {"type": "object"}},
        "structuredContent": {"type": "object"},
        "isError": {"type": "boolean"},
    },
}
ERROR_SCHEMA = {
    "type": "object",
    "properties": {"success": {"type": "boolean"}, "message": {"type": "string"}},
}


def tool_path(server: str, tool: str) -> str:
    return f"/tools/{quote(server, safe='')}/{quote(tool, safe='')}"


def uses_get(schema: dict[str, Any]) -> bool:
    """MCPHub's rule: only small, all-primitive, non-string argument lists become GET."""
    props = schema.get("properties") or {}
    if not isinstance(props, dict) or len(props) > MAX_QUERY_PARAMS:
        return False
    return all(isinstance(p, dict) and p.get("type") in PRIMITIVE for p in props.values())


def _valid(schema: Any) -> bool:
    if not isinstance(schema, dict):
        return False
    # jsonschema costs ~4 MB resident; only hubs that serve the OpenAPI document pay it.
    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import SchemaError

    try:
        Draft202012Validator.check_schema(schema)
    except SchemaError:
        return False
    return True


def _repoint(node: Any, prefix: str) -> Any:
    """A copy of ``node`` whose local ``$defs`` refs point into ``components/schemas``."""
    if isinstance(node, list):
        return [_repoint(v, prefix) for v in node]
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key in ("$defs", "definitions", "$schema", "$id"):
            continue
        if key == "$ref" and isinstance(value, str):
            hit = next((p for p in _LOCAL_DEFS if value.startswith(p)), None)
            if hit is None:
                # "#" (the tool's own root) or another document: accept anything there.
                continue
            out[key] = f"#/components/schemas/{prefix}{_COMPONENT.sub('_', value[len(hit) :])}"
        else:
            out[key] = _repoint(value, prefix)
    return out


def hoist(schema: dict[str, Any], prefix: str, components: dict[str, Any]) -> dict[str, Any]:
    """The tool schema for the document, its definitions added to ``components``."""
    for key in ("$defs", "definitions"):
        defs = schema.get(key)
        if isinstance(defs, dict):
            for name, sub in defs.items():
                components[f"{prefix}{_COMPONENT.sub('_', str(name))}"] = _repoint(sub, prefix)
    out: dict[str, Any] = _repoint(schema, prefix)
    if out.get("type") is None:
        out["type"] = "object"
    return out


def operation(
    exposed: str, server: str, tool: dict[str, Any], components: dict[str, Any]
) -> tuple[str, dict[str, Any]]:
    """(method, operation object) for one listed tool."""
    raw = tool.get("inputSchema")
    if not _valid(raw):
        log.warning("Tool %s has an invalid input schema; documented as a bare object", exposed)
        raw = {"type": "object"}
    assert isinstance(raw, dict)
    schema = hoist(raw, _COMPONENT.sub("_", exposed) + ".", components)
    op: dict[str, Any] = {
        "operationId": exposed,
        "summary": str(
            (tool.get("annotations") or {}).get("title") or tool.get("title") or exposed
        ),
        "tags": [server],
        "responses": {
            "200": {
                "description": "The tool's result",
                "content": {
                    "application/json": {"schema": {"$ref": "#/components/schemas/ToolResult"}}
                },
            },
            "400": _error("Bad arguments"),
            "404": _error("No such tool for this caller"),
            "500": _error("The call failed"),
        },
    }
    if tool.get("description"):
        op["description"] = str(tool["description"])
    if uses_get(raw):
        required = set(schema.get("required") or [])
        op["parameters"] = [
            {
                "name": name,
                "in": "query",
                "required": name in required,
                "schema": prop,
                **(
                    {"description": prop["description"]}
                    if isinstance(prop.get("description"), str)
                    else {}
                ),
            }
            for name, prop in (schema.get("properties") or {}).items()
        ]
        return "get", op
    op["requestBody"] = {
        "required": bool(schema.get("required")),
        "content": {"application/json": {"schema": schema}},
    }
    return "post", op


def _error(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    }


def document(
    tools: list[tuple[str, str, str, dict[str, Any]]],
    server_url: str,
    *,
    title: str = "MCPHub API",
    description: str = "The hub's MCP tools as REST operations",
    version: str = "1.0.0",
) -> dict[str, Any]:
    """The document for ``(exposed name, server, upstream name, tool)``, served at ``server_url``."""
    components: dict[str, Any] = {"ToolResult": RESULT_SCHEMA, "Error": ERROR_SCHEMA}
    paths: dict[str, Any] = {}
    servers: list[str] = []
    for exposed, server, name, tool in tools:
        method, op = operation(exposed, server, tool, components)
        paths.setdefault(tool_path(server, name), {})[method] = op
        if server not in servers:
            servers.append(server)
    return {
        "openapi": "3.1.0",
        "info": {"title": title, "description": description, "version": version},
        "servers": [{"url": server_url}],
        "tags": [{"name": s} for s in servers],
        "paths": paths,
        "components": {
            "schemas": components,
            "securitySchemes": {
                "bearerAuth": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"},
                "authToken": {"type": "apiKey", "in": "header", "name": "x-auth-token"},
            },
        },
        "security": [{"bearerAuth": []}, {"authToken": []}],
    }
