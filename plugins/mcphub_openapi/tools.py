"""Operations to MCP tools: one tool per operation, with the plan to turn a call back into HTTP.

Argument names are the parameter names; when a name occurs in two locations (or a parameter
is called ``body`` next to a request body) the later location gets a ``<in>_`` prefix, path
first, then query, header, cookie. The JSON (or form, or text) request body is ``body``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from mcphub_openapi.loader import Resolver, SpecError

METHODS = ("get", "put", "post", "delete", "patch", "head", "options", "trace")
LOCATIONS = ("path", "query", "header", "cookie")
IGNORED_HEADERS = frozenset({"accept", "content-type", "authorization"})
"""Header parameters the OpenAPI spec says to ignore (the client sets them)."""
DEFAULT_STYLE = {"path": "simple", "query": "form", "header": "simple", "cookie": "form"}
BODY = "body"
MAX_NAME = 128

_INVALID_NAME = re.compile(r"[^A-Za-z0-9_.-]+")


@dataclass(frozen=True)
class Param:
    name: str
    """The name on the wire."""
    location: str
    arg: str
    """The tool argument carrying it."""
    style: str
    explode: bool


@dataclass(frozen=True)
class Body:
    media_type: str
    required: bool


@dataclass(frozen=True)
class Operation:
    tool: str
    method: str
    path: str
    params: tuple[Param, ...]
    body: Body | None
    public: bool
    """The operation declares ``security: []``: no credentials are sent to it."""
    description: str
    input_schema: dict[str, Any]
    annotations: dict[str, Any]

    def wire(self) -> dict[str, Any]:
        """The tool as MCP lists it (camelCase)."""
        return {
            "name": self.tool,
            "description": self.description,
            "inputSchema": self.input_schema,
            "annotations": self.annotations,
        }


def sanitize(name: str) -> str:
    """A name inside the MCP tool-name charset (``A-Za-z0-9._-``, at most 128 characters)."""
    return _INVALID_NAME.sub("_", name).strip("_.-")[:MAX_NAME]


def fallback_name(method: str, path: str) -> str:
    """MCPHub's name for an operation without operationId: method plus the literal segments."""
    segments = [s for s in path.split("/") if s and not s.startswith("{")]
    return sanitize(f"{method}_{'_'.join(segments) or 'root'}".lower())


def unique(name: str, used: set[str]) -> str:
    candidate, n = name, 1
    while candidate in used:
        suffix = f"_{n}"
        candidate = name[: MAX_NAME - len(suffix)] + suffix
        n += 1
    used.add(candidate)
    return candidate


def build_operations(document: dict[str, Any], resolver: Resolver, version: str) -> list[Operation]:
    """Every operation of the spec, in document order, as a tool plan."""
    used: set[str] = set()
    global_security = document.get("security")
    operations: list[Operation] = []
    paths = document.get("paths") or {}
    for path, raw_item in paths.items():
        item = resolver.shallow(raw_item)
        if not isinstance(item, dict):
            continue
        for method in METHODS:
            op = item.get(method)
            if not isinstance(op, dict):
                continue
            try:
                operations.append(
                    _operation(path, method, op, item, resolver, version, used, global_security)
                )
            except SpecError as exc:
                raise SpecError(f"{method.upper()} {path}: {exc}") from None
    return operations


def _operation(
    path: str,
    method: str,
    op: dict[str, Any],
    item: dict[str, Any],
    resolver: Resolver,
    version: str,
    used: set[str],
    global_security: Any,
) -> Operation:
    merged: dict[tuple[str, str], dict[str, Any]] = {}
    for raw in [*(item.get("parameters") or []), *(op.get("parameters") or [])]:
        param = resolver.shallow(raw)
        if not isinstance(param, dict) or param.get("in") not in LOCATIONS:
            continue
        name = str(param.get("name", ""))
        if not name or (param["in"] == "header" and name.lower() in IGNORED_HEADERS):
            continue
        merged[(param["in"], name)] = param
    body_media, body_def = _body(resolver.shallow(op.get("requestBody")))

    ordered = sorted(merged.values(), key=lambda p: LOCATIONS.index(p["in"]))
    taken: set[str] = {BODY} if body_def is not None else set()
    properties: dict[str, Any] = {}
    required: list[str] = []
    params: list[Param] = []
    for p in ordered:
        location, name = p["in"], str(p["name"])
        arg = sanitize(name) or location
        if arg in taken:
            arg = sanitize(f"{location}_{name}")
        arg = unique(arg, taken)
        style = str(p.get("style") or DEFAULT_STYLE[location])
        explode = bool(p.get("explode", style == "form"))
        params.append(Param(name, location, arg, style, explode))
        schema = dict(_param_schema(p, resolver, version))
        if p.get("description") and "description" not in schema:
            schema["description"] = str(p["description"])
        properties[arg] = schema
        if p.get("required") or location == "path":
            required.append(arg)

    body: Body | None = None
    if body_def is not None:
        body = Body(body_media, bool(body_def.get("required")))
        content = (body_def.get("content") or {}).get(body_media) or {}
        body_schema = content.get("schema") if isinstance(content, dict) else None
        if body_media.startswith("text/") and not body_schema:
            body_schema = {"type": "string"}
        properties[BODY] = json_schema(resolver.resolve(body_schema or {}), version)
        if body_def.get("description") and "description" not in properties[BODY]:
            properties[BODY] = {**properties[BODY], "description": str(body_def["description"])}
        if body.required:
            required.append(BODY)

    input_schema: dict[str, Any] = {"type": "object", "properties": properties}
    if required:
        input_schema["required"] = required
    security = op.get("security", global_security)
    name = sanitize(str(op["operationId"])) if op.get("operationId") else ""
    return Operation(
        tool=unique(name or fallback_name(method, path), used),
        method=method,
        path=path,
        params=tuple(params),
        body=body,
        public=isinstance(security, list) and not security,
        description=_description(op, method, path),
        input_schema=input_schema,
        annotations=_annotations(op, method),
    )


def _body(body: Any) -> tuple[str, dict[str, Any] | None]:
    """The media type the tool sends and the request body object (None without a body)."""
    if not isinstance(body, dict) or not isinstance(body.get("content"), dict):
        return "", None
    types = [t for t in body["content"] if isinstance(t, str)]
    if not types:
        return "", None
    for want in (
        lambda t: t.split(";")[0].strip() == "application/json",
        lambda t: t.endswith("+json") or "json" in t,
        lambda t: t.startswith("application/x-www-form-urlencoded"),
        lambda t: t.startswith("multipart/form-data"),
        lambda t: t.startswith("text/"),
    ):
        for media in types:
            if want(media):
                return media, body
    return types[0], body


def _param_schema(param: dict[str, Any], resolver: Resolver, version: str) -> dict[str, Any]:
    schema = param.get("schema")
    if schema is None and isinstance(param.get("content"), dict) and param["content"]:
        media = next(iter(param["content"].values()))
        schema = media.get("schema") if isinstance(media, dict) else None
    resolved = resolver.resolve(schema) if schema is not None else {"type": "string"}
    out: dict[str, Any] = json_schema(resolved if isinstance(resolved, dict) else {}, version)
    return out


def _description(op: dict[str, Any], method: str, path: str) -> str:
    summary = str(op.get("summary") or "").strip()
    detail = str(op.get("description") or "").strip()
    text = (
        f"{summary}\n\n{detail}" if summary and detail and detail != summary else summary or detail
    )
    text = text or f"{method.upper()} {path}"
    return f"(deprecated) {text}" if op.get("deprecated") else text


def _annotations(op: dict[str, Any], method: str) -> dict[str, Any]:
    notes: dict[str, Any] = {"openWorldHint": True}
    if op.get("summary"):
        notes["title"] = str(op["summary"]).strip()
    if method in ("get", "head", "options"):
        notes["readOnlyHint"] = True
    else:
        notes["readOnlyHint"] = False
        notes["destructiveHint"] = method == "delete"
        notes["idempotentHint"] = method in ("put", "delete")
    return notes


_DROP = frozenset({"xml", "externalDocs", "discriminator"})
_NESTED_ONE = ("items", "additionalProperties", "not", "contains", "propertyNames", "if", "then")
_NESTED_MANY = ("allOf", "anyOf", "oneOf", "prefixItems")
_NESTED_MAP = ("properties", "patternProperties", "$defs", "definitions", "dependentSchemas")


def json_schema(schema: Any, version: str, memo: dict[int, Any] | None = None) -> Any:
    """An OpenAPI schema object as plain JSON Schema, as MCP tool schemas are.

    3.0's ``nullable`` and boolean ``exclusiveMinimum``/``exclusiveMaximum`` become their JSON
    Schema forms, ``example`` becomes ``examples``; OpenAPI-only keywords are dropped. The
    input is never modified (resolved nodes are shared).
    """
    if not isinstance(schema, dict):
        return schema
    memo = {} if memo is None else memo
    if id(schema) in memo:
        return memo[id(schema)]
    out: dict[str, Any] = {}
    for key, value in schema.items():
        if key in _DROP or (key == "nullable" and version == "3.0"):
            continue
        if key in _NESTED_ONE:
            out[key] = json_schema(value, version, memo)
        elif key in _NESTED_MANY and isinstance(value, list):
            out[key] = [json_schema(v, version, memo) for v in value]
        elif key in _NESTED_MAP and isinstance(value, dict):
            out[key] = {k: json_schema(v, version, memo) for k, v in value.items()}
        elif key == "example":
            out.setdefault("examples", [value])
        else:
            out[key] = value
    if version == "3.0":
        _fix_30(schema, out)
    memo[id(schema)] = out
    return out


def _fix_30(schema: dict[str, Any], out: dict[str, Any]) -> None:
    for bound, limit in (("exclusiveMinimum", "minimum"), ("exclusiveMaximum", "maximum")):
        flag = schema.get(bound)
        if isinstance(flag, bool):
            out.pop(bound, None)
            if flag and limit in schema:
                out[bound] = out.pop(limit)
    if schema.get("nullable") is True:
        kind = out.get("type")
        if isinstance(kind, str):
            out["type"] = [kind, "null"]
        if isinstance(out.get("enum"), list) and None not in out["enum"]:
            out["enum"] = [*out["enum"], None]
