"""Serialising tool arguments into an HTTP request, by each parameter's style and explode.

Covers the styles OpenAPI defines for each location: simple/label/matrix in paths,
form/spaceDelimited/pipeDelimited/deepObject in queries, simple in headers, form in cookies.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from mcphub_openapi.tools import BODY, Operation, Param


class ArgumentError(ValueError):
    """The arguments cannot make a request (a path parameter is missing)."""


@dataclass
class Built:
    method: str
    path: str
    """The path with parameters substituted (percent-encoded)."""
    query: list[tuple[str, str]] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)
    cookies: dict[str, str] = field(default_factory=dict)
    path_params: dict[str, Any] = field(default_factory=dict)
    body: Any = None
    has_body: bool = False


def scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return ""
    if isinstance(value, dict | list):
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    return str(value)


def _pairs(value: dict[str, Any]) -> list[tuple[str, str]]:
    return [(str(k), scalar(v)) for k, v in value.items() if v is not None]


def _simple(value: Any, explode: bool) -> str:
    if isinstance(value, list):
        return ",".join(scalar(v) for v in value)
    if isinstance(value, dict):
        sep = "=" if explode else ","
        return ",".join(f"{k}{sep}{v}" for k, v in _pairs(value))
    return scalar(value)


def _path_value(param: Param, value: Any) -> str:
    def enc(text: str) -> str:
        return quote(text, safe=",=")

    if param.style == "label":
        joiner = "." if param.explode else ","
        if isinstance(value, list):
            return "." + joiner.join(enc(scalar(v)) for v in value)
        return "." + enc(_simple(value, param.explode))
    if param.style == "matrix":
        if isinstance(value, list) and param.explode:
            return "".join(f";{param.name}={enc(scalar(v))}" for v in value)
        if isinstance(value, dict) and param.explode:
            return "".join(f";{k}={enc(v)}" for k, v in _pairs(value))
        return f";{param.name}={enc(_simple(value, False))}"
    return enc(_simple(value, param.explode))


def _query(param: Param, value: Any) -> list[tuple[str, str]]:
    name = param.name
    if param.style == "deepObject" and isinstance(value, dict):
        return [(f"{name}[{k}]", v) for k, v in _pairs(value)]
    if isinstance(value, list):
        if param.style == "spaceDelimited":
            return [(name, " ".join(scalar(v) for v in value))]
        if param.style == "pipeDelimited":
            return [(name, "|".join(scalar(v) for v in value))]
        if param.explode:
            return [(name, scalar(v)) for v in value]
        return [(name, ",".join(scalar(v) for v in value))]
    if isinstance(value, dict):
        if param.explode:
            return _pairs(value)
        return [(name, _simple(value, False))]
    return [(name, scalar(value))]


def build(op: Operation, arguments: dict[str, Any]) -> Built:
    """The request for one call; unknown arguments are ignored, as MCPHub does."""
    built = Built(op.method, op.path)
    path = op.path
    for param in op.params:
        value = arguments.get(param.arg)
        if value is None:
            if param.location == "path":
                raise ArgumentError(f"missing required path parameter '{param.arg}'")
            continue
        if param.location == "path":
            built.path_params[param.name] = value
            path = path.replace("{" + param.name + "}", _path_value(param, value))
        elif param.location == "query":
            built.query.extend(_query(param, value))
        elif param.location == "header":
            built.headers[param.name] = _simple(value, param.explode)
        else:
            built.cookies[param.name] = _simple(value, False)
    built.path = path
    if op.body is not None and arguments.get(BODY) is not None:
        built.body = arguments[BODY]
        built.has_body = True
    elif op.body is not None and op.body.required:
        # The spec requires a body: sending none would only earn an upstream 400 (or worse,
        # an empty create), so the model is told what to add instead.
        raise ArgumentError(f"missing required request body argument '{BODY}'")
    return built
