"""The hub's own OpenAPI document, built from what each route declares.

A handler lists its operations in a ``docs`` class attribute (HTTP method → ``Op``) naming
the pydantic models of its body and its answer. ``GET /api/docs/openapi.json`` walks the
live route table, so a route and its document cannot drift apart, and schemathesis checks
the running hub against it in CI.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, cast

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from hub.api.base import APIHandler
from hub.auth.principal import Policy

if TYPE_CHECKING:
    from hub.app import Hub

JSON = "application/json"


@dataclass(frozen=True)
class Param:
    """A query parameter."""

    name: str
    schema: dict[str, Any]
    description: str = ""
    required: bool = False


@dataclass(frozen=True)
class Op:
    """One operation: its request body model, its answer model and its extra statuses."""

    summary: str
    body: type[BaseModel] | None = None
    response: type[BaseModel] | None = None
    status: int = 200
    more: dict[int, type[BaseModel]] = field(default_factory=dict)
    """Other documented answers with their own body (e.g. 207 for a partial batch)."""
    errors: tuple[int, ...] = ()
    """Error statuses beyond those implied by the route (400, 401, 403, 404, 413)."""
    query: tuple[Param, ...] = ()
    media: str = JSON
    description: str = ""


class ErrorBody(BaseModel):
    """The one error envelope of ``/api``."""

    success: Literal[False]
    message: str
    errors: list[Any] | None = None
    """Field errors (``{field, message}``) or, for password rules, plain strings."""


class Message(BaseModel):
    """A success with only a message."""

    success: Literal[True]
    message: str | None = None


_PARAM = re.compile(r"\(\?P<(\w+)>[^)]*\)")
_REASONS = {
    200: "OK",
    201: "Created",
    207: "Some items failed",
    400: "Invalid request",
    401: "Not authenticated",
    403: "Not allowed",
    404: "Not found",
    409: "Already exists",
    413: "Body larger than routing.jsonBodyLimit",
}


def _path(pattern: str) -> tuple[str, list[str]]:
    names = _PARAM.findall(pattern)
    path = _PARAM.sub(lambda m: "{" + m.group(1) + "}", pattern).rstrip("$")
    return path.replace("\\", ""), names


def build(hub: Hub) -> dict[str, Any]:
    """The OpenAPI 3.1 document of every route that declares ``docs``."""
    entries = []
    for pattern, handler, _ in hub.routes:
        for method, op in (getattr(handler, "docs", None) or {}).items():
            entries.append((pattern, handler, method.lower(), op))
    wanted: list[tuple[type[BaseModel], Literal["validation", "serialization"]]] = [
        (ErrorBody, "serialization")
    ]
    for *_, op in entries:
        if op.body is not None:
            wanted.append((op.body, "validation"))
        for model in [op.response, *op.more.values()]:
            if model is not None:
                wanted.append((model, "serialization"))
    refs, defs = models_json_schema(
        list(dict.fromkeys(wanted)), ref_template="#/components/schemas/{model}"
    )
    paths: dict[str, dict[str, Any]] = {}
    for pattern, handler, method, op in entries:
        path, params = _path(pattern)
        policy = cast("type[APIHandler]", handler).policy_for(handler, method.upper())  # type: ignore[arg-type]
        paths.setdefault(path, {})[method] = _operation(op, policy, params, refs)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "mcphub-py management API",
            "version": hub.version,
            "description": "REST API of the hub (MCPHub compatible). Generated from the routes.",
        },
        "paths": paths,
        "components": {
            "schemas": defs.get("$defs", {}),
            "securitySchemes": {
                "authToken": {"type": "apiKey", "in": "header", "name": "x-auth-token"},
                "bearer": {"type": "http", "scheme": "bearer"},
            },
        },
    }


def _operation(
    op: Op, policy: Policy, params: list[str], refs: dict[Any, dict[str, Any]]
) -> dict[str, Any]:
    def body(model: type[BaseModel] | None, mode: str) -> dict[str, Any]:
        schema = refs[(model, mode)] if model is not None else {"type": "object"}
        return {JSON: {"schema": schema}}

    error = body(ErrorBody, "serialization")
    ok: dict[str, Any] = {"description": _REASONS.get(op.status, "OK")}
    if op.media == JSON:
        ok["content"] = body(op.response, "serialization")
    else:
        ok["content"] = {op.media: {"schema": {"type": "string"}}}
    responses: dict[str, Any] = {str(op.status): ok}
    for status, model in op.more.items():
        responses[str(status)] = {
            "description": _REASONS.get(status, "Other"),
            "content": body(model, "serialization"),
        }
    codes = {400, *op.errors}
    if policy is not Policy.PUBLIC:
        codes.add(401)
    if policy is Policy.ADMIN:
        codes.add(403)
    if params:
        codes.add(404)
    if op.body is not None:
        codes.add(413)
    for code in sorted(codes):
        responses.setdefault(
            str(code), {"description": _REASONS.get(code, "Error"), "content": error}
        )
    out: dict[str, Any] = {"summary": op.summary, "responses": responses}
    if op.description:
        out["description"] = op.description
    parameters = [
        {"name": p, "in": "path", "required": True, "schema": {"type": "string", "minLength": 1}}
        for p in params
    ] + [
        {
            "name": q.name,
            "in": "query",
            "required": q.required,
            "schema": q.schema,
            **({"description": q.description} if q.description else {}),
        }
        for q in op.query
    ]
    if parameters:
        out["parameters"] = parameters
    if op.body is not None:
        out["requestBody"] = {"required": True, "content": body(op.body, "validation")}
    out["security"] = [] if policy is Policy.PUBLIC else [{"authToken": []}, {"bearer": []}]
    return out


class OpenAPIHandler(APIHandler):
    """``GET /api/docs/openapi.json``: the document, built once per hub (routes are fixed)."""

    policy = Policy.AUTHENTICATED
    docs = {"GET": Op("This document: the hub's management API as OpenAPI 3.1")}

    async def get(self) -> None:
        doc = self.hub.documents.get("api")
        if doc is None:
            doc = self.hub.documents["api"] = build(self.hub)
        self.send_json(doc)


default_handlers = [(r"/api/docs/openapi\.json", OpenAPIHandler)]
