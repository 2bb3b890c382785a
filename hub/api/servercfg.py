"""Server configs as the API sees them: validation, summaries, and the writes that touch
other records (renames and deletions update groups and bearer keys).

Every write path (create, batch, update, toggles, overrides) goes through ``normalise`` and
``server_lock`` so rules cannot differ between routes and concurrent edits are not lost.
"""

from __future__ import annotations

import asyncio
import inspect
import urllib.parse
import weakref
from typing import TYPE_CHECKING, Annotated, Any

from pydantic import StringConstraints, ValidationError

from hub.errors import BadRequest
from hub.redact import mask_server
from hub.settings import ServerConfig

if TYPE_CHECKING:
    from hub.app import Hub
    from hub.config import LiveConfig

KNOWN_TYPES = ("stdio", "sse", "streamable-http", "openapi")
OVERRIDE_KINDS = ("tools", "prompts", "resources")

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


_locks: weakref.WeakKeyDictionary[Hub, asyncio.Lock] = weakref.WeakKeyDictionary()


def server_lock(hub: Hub) -> asyncio.Lock:
    """One lock around every read-modify-write of server configs, so no edit is lost."""
    lock = _locks.get(hub)
    if lock is None:
        lock = _locks[hub] = asyncio.Lock()
    return lock


# --------------------------------------------------------------------- validation


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


def _override(config: ServerConfig, kind: str, key: str) -> tuple[bool, str | None]:
    found = (getattr(config, kind) or {}).get(key)
    if found is None:
        return True, None
    return found.enabled is not False, found.description


def tool_views(hub: Hub, name: str, config: ServerConfig) -> list[dict[str, Any]]:
    sep = hub.config.system.name_separator
    out = []
    for tool in hub.upstreams.state(name).tools:
        full = f"{name}{sep}{tool.get('name', '')}"
        enabled, description = _override(config, "tools", full)
        schema = {k: v for k, v in (tool.get("inputSchema") or {}).items() if k != "$schema"}
        out.append(
            {
                "name": full,
                "description": description if description is not None else tool.get("description"),
                "inputSchema": schema,
                "enabled": enabled,
            }
        )
    return out


def prompt_views(hub: Hub, name: str, config: ServerConfig) -> list[dict[str, Any]]:
    sep = hub.config.system.name_separator
    out = []
    for prompt in hub.upstreams.state(name).prompts:
        full = f"{name}{sep}{prompt.get('name', '')}"
        enabled, description = _override(config, "prompts", full)
        out.append(
            {
                "name": full,
                "title": prompt.get("title"),
                "description": description
                if description is not None
                else prompt.get("description"),
                "arguments": prompt.get("arguments") or [],
                "enabled": enabled,
            }
        )
    return out


def resource_views(hub: Hub, name: str, config: ServerConfig) -> list[dict[str, Any]]:
    out = []
    for resource in hub.upstreams.state(name).resources:
        uri = resource.get("uri", "")
        enabled, description = _override(config, "resources", uri)
        out.append(
            {
                "uri": uri,
                "name": resource.get("name"),
                "description": description
                if description is not None
                else resource.get("description"),
                "mimeType": resource.get("mimeType"),
                "enabled": enabled,
            }
        )
    return out


def summary(hub: Hub, name: str, config: ServerConfig) -> dict[str, Any]:
    """MCPHub's ServerSummary; the config comes with its secrets masked."""
    state = hub.upstreams.state(name)
    return {
        "name": name,
        "status": str(state.status),
        "error": state.error,
        "tools": tool_views(hub, name, config),
        "prompts": prompt_views(hub, name, config),
        "resources": resource_views(hub, name, config),
        "createTime": int(hub.config.server_created.get(name, 0.0) * 1000),
        "enabled": config.enabled,
        "config": mask_server(config.wire(exclude_unset=True)),
    }


# --------------------------------------------------------------------- references


def rename_overrides(config: ServerConfig, old: str, new: str, sep: str) -> ServerConfig:
    """Override keys carry the server name (``server{sep}tool``): follow a rename."""
    update: dict[str, Any] = {}
    prefix = f"{old}{sep}"
    for kind in ("tools", "prompts"):
        items = getattr(config, kind)
        if items:
            update[kind] = {
                (f"{new}{sep}{k[len(prefix) :]}" if k.startswith(prefix) else k): v
                for k, v in items.items()
            }
    return config.model_copy(update=update) if update else config


def rename_separator(config: ServerConfig, name: str, old: str, new: str) -> ServerConfig | None:
    """Override keys after a nameSeparator change; None when nothing changes."""
    prefix = f"{name}{old}"
    update: dict[str, Any] = {}
    for kind in ("tools", "prompts"):
        items = getattr(config, kind)
        if items and any(k.startswith(prefix) for k in items):
            update[kind] = {
                (f"{name}{new}{k[len(prefix) :]}" if k.startswith(prefix) else k): v
                for k, v in items.items()
            }
    return config.model_copy(update=update) if update else None


async def retarget_references(live: LiveConfig, old: str, new: str | None) -> None:
    """Point groups and bearer keys at the renamed server, or drop a deleted one from them.

    A deleted server's name left in a group or a key would grant access to whatever server
    is created later under the same name.
    """
    for group in list(live.groups.values()):
        if any(s.name == old for s in group.servers):
            servers = [
                s.model_copy(update={"name": new}) if s.name == old else s
                for s in group.servers
                if s.name != old or new is not None
            ]
            await live.put_group(group.model_copy(update={"servers": servers}))
    for key in list(live.keys.values()):
        if old in key.allowed_servers:
            if new is None:
                allowed = [s for s in key.allowed_servers if s != old]
            else:
                allowed = [new if s == old else s for s in key.allowed_servers]
            await live.put_key(key.model_copy(update={"allowed_servers": allowed}))


async def maybe_await(value: Any) -> Any:
    return await value if inspect.isawaitable(value) else value
