"""Server configs as the API accepts them: MCPHub's normalisation rules, the transport's
own validation, and whether a changed config still goes where its secrets went.
"""

from __future__ import annotations

import urllib.parse
from typing import TYPE_CHECKING, Annotated, Any

from pydantic import StringConstraints, ValidationError

from hub.config.models import ServerConfig
from hub.errors import BadRequest

if TYPE_CHECKING:
    from hub.app import Hub

KNOWN_TYPES = ("stdio", "sse", "streamable-http", "openapi")
ServerName = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True,
        min_length=1,
        max_length=200,
        pattern=r"^[^/$\x00-\x1f\x7f][^/\x00-\x1f\x7f]*$",
    ),
]
"""A server name: no slash (it is a path segment), no control characters, no leading ``$``
(``/mcp/$smart`` is reserved)."""


def _error(exc: ValidationError, prefix: str) -> BadRequest:
    errors = [
        {"field": ".".join([prefix, *(str(p) for p in e["loc"])]), "message": e["msg"]}
        for e in exc.errors()
    ]
    first = errors[0]
    return BadRequest(f"Invalid server config: {first['field']}: {first['message']}", errors=errors)


def parse_config(raw: Any) -> ServerConfig:
    if not isinstance(raw, dict):
        raise BadRequest("Invalid server config: config must be an object")
    try:
        return ServerConfig.model_validate(raw)
    except ValidationError as exc:
        raise _error(exc, "config") from exc


def _check_url(url: str, field: str) -> None:
    try:
        parts = urllib.parse.urlsplit(url)
    except ValueError as exc:
        raise BadRequest(f"Invalid server config: {field} is not a valid URL") from exc
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise BadRequest(f"Invalid server config: {field} must be an http(s) URL")


def normalise(hub: Hub, config: ServerConfig) -> ServerConfig:
    """MCPHub's rules (behaviour §1.3) plus the transport's own check; a clear 400 otherwise.

    The type is inferred and stored (openapi → url → command); ``args`` may be omitted.
    """
    raw = config.wire(exclude_unset=True)
    for key in ("type", "url", "command", "cwd"):
        if isinstance(raw.get(key), str):
            raw[key] = raw[key].strip() or None
            if raw[key] is None:
                del raw[key]
    config = parse_config(raw)
    kind = config.inferred_type()
    openapi = config.openapi or {}
    if kind is None:
        raise BadRequest(
            "Invalid server config: it needs a url, an openapi.url or openapi.schema, or a command"
        )
    if kind not in KNOWN_TYPES and kind not in hub.transports:
        known = sorted({*KNOWN_TYPES, *hub.transports})
        raise BadRequest(f"Invalid server type '{kind}'; expected one of {', '.join(known)}")
    if kind in ("sse", "streamable-http"):
        if not config.url:
            raise BadRequest(f"Invalid server config: url is required for type {kind}")
        _check_url(config.url, "url")
    elif kind == "stdio":
        if not config.command:
            raise BadRequest("Invalid server config: command is required for type stdio")
        if config.headers:
            raise BadRequest("Invalid server config: headers are not supported for stdio servers")
    elif kind == "openapi":
        if not (openapi.get("url") or openapi.get("schema")):
            raise BadRequest(
                "Invalid server config: openapi.url or openapi.schema is required for openapi"
            )
        if isinstance(openapi.get("url"), str):
            _check_url(openapi["url"], "openapi.url")
    for field, values in (("env", config.env), ("headers", config.headers)):
        for k, v in (values or {}).items():
            if not k or not isinstance(v, str | int | float | bool):
                raise BadRequest(f"Invalid server config: {field}.{k} must be a string")
    raw["type"] = kind
    if kind == "sse" and "keepAliveInterval" not in raw:
        raw["keepAliveInterval"] = 60_000
    config = parse_config(raw)
    transport = hub.transports.get(kind)
    validate = getattr(transport, "validate", None)
    if validate is not None:
        try:
            checked = validate(config)
        except ValidationError as exc:
            raise _error(exc, "config") from exc
        except (ValueError, TypeError) as exc:
            raise BadRequest(f"Invalid server config: {exc}") from exc
        if isinstance(checked, ServerConfig):
            config = checked
    return config


def _origin(url: str | None) -> tuple[str, str, int | None] | None:
    if not url:
        return None
    try:
        p = urllib.parse.urlsplit(url)
        return p.scheme, p.hostname or "", p.port
    except ValueError:
        return None


def same_target(old: ServerConfig, new: ServerConfig) -> bool:
    """Whether secrets kept from ``old`` would still go where they went before."""
    return (
        old.inferred_type() == new.inferred_type()
        and _origin(old.url) == _origin(new.url)
        and old.command == new.command
        and _origin((old.openapi or {}).get("url")) == _origin((new.openapi or {}).get("url"))
    )


# --------------------------------------------------------------------- views
