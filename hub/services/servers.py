"""Server configs: create (one or a batch), update or rename, delete, toggle, reload.

Every read-modify-write of server configs holds ``hub.server_lock`` so no edit is lost,
and renames and deletions follow the server into groups and bearer keys. The API only
writes configuration; the upstream manager follows the ``servers`` events on the bus.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, TypeAdapter, ValidationError

from hub.auth.access import (
    check_config_write,
    find_group,
    is_privileged,
    owner_for,
    server_for,
)
from hub.auth.authorize import authorize_host_execution
from hub.auth.principal import Principal
from hub.catalogs.bundle import forget_bundle
from hub.config.models import McpSettings, ServerConfig
from hub.config.names import ambiguity_message, ambiguous_with, shown
from hub.config.redaction import contains_mask, restore
from hub.config.store import Conflict as StoreConflict
from hub.errors import BadRequest, Conflict, HubError, validation_message
from hub.upstream.config_check import ServerName, parse_config, same_target

if TYPE_CHECKING:
    from hub.app import Hub
    from hub.config.live import LiveConfig
    from hub.upstream.transport import Transports

log = logging.getLogger("hub.api.servers")
"""Server audit lines ("Server x added by y") keep the source they had when the handlers
wrote them: ``/api/logs`` shows the source and its test asserts it."""

MAX_BATCH = 1000
KEPT_ON_UPDATE = ("tools", "prompts", "resources", "enabled", "owner")
"""Fields an update keeps from the stored config when the body leaves them out, so editing a
URL does not drop the tool toggles or re-enable a disabled server."""


class ServerBody(BaseModel):
    """A server to add: its name and its config."""

    name: ServerName
    config: ServerConfig


def check_free(live: LiveConfig, name: str, replacing: str | None = None) -> None:
    """409 when a server or a group already answers to ``name``, or when ``name`` next to
    another server's name would make namespaced tool names ambiguous (``hub.config.names``);
    ``replacing`` is the server being renamed, which does not count.

    ``/mcp/{segment}`` tries groups before servers, so a server named like a group would be
    unreachable there (and groups refuse server names for the same reason).
    """
    if name in live.servers:
        raise Conflict(f"Server '{shown(name)}' already exists")
    if find_group(live, name) is not None:
        raise Conflict(f"The name '{shown(name)}' is already used by a group")
    sep = live.system.name_separator
    other = ambiguous_with(name, (n for n in live.servers if n != replacing), sep)
    if other is not None:
        raise Conflict(ambiguity_message(name, other, sep))


# --------------------------------------------------------------------- create


async def create_server(hub: Hub, principal: Principal, name: str, config: ServerConfig) -> None:
    """Validate, check rights, set the owner, write; 409 if the name is taken."""
    config = hub.upstreams.validate(config)
    check_config_write(principal, config, hub.transports)
    if is_privileged(config, hub.transports):
        await authorize_host_execution(hub, principal)
    owner = (config.owner or owner_for(principal)) if principal.is_admin else principal.name
    config = config.model_copy(update={"owner": owner})
    async with hub.server_lock:
        check_free(hub.config, name)
        try:
            await hub.config.put_server(name, config, create=True)
        except StoreConflict as exc:
            raise Conflict(f"Server '{shown(name)}' already exists") from exc
    log.info("Server %s added by %s", shown(name), principal.name)


async def create_servers(
    hub: Hub, principal: Principal, items: Sequence[Any]
) -> list[dict[str, Any]]:
    """Create each item (``{name, config}``) on its own; one ``{name, success, message?}``
    per item, so a bad item is a result rather than an error that loses the others.
    """
    if len(items) > MAX_BATCH:
        raise BadRequest(f"At most {MAX_BATCH} servers per batch")
    results: list[dict[str, Any]] = []
    for item in items:
        raw_name = item.get("name") if isinstance(item, dict) else None
        name = raw_name if isinstance(raw_name, str) else ""
        try:
            if not isinstance(item, dict):
                raise BadRequest("Each item must be an object with name and config")
            try:
                body = ServerBody.model_validate(item)
            except ValidationError as exc:
                raise BadRequest(validation_message(exc)[0]) from exc
            name = body.name
            await create_server(hub, principal, body.name, body.config)
            results.append({"name": name, "success": True})
        except HubError as exc:
            if exc.status >= 500:
                raise
            results.append({"name": name, "success": False, "message": exc.message})
    return results


# --------------------------------------------------------------------- update


def merge_update(
    principal: Principal, old: ServerConfig, new: ServerConfig, transports: Transports
) -> dict[str, Any]:
    """The new config with masked secrets restored and the kept fields carried over;
    ``transports`` (``hub.transports``) say where each kind sends its secrets."""
    raw = new.wire(exclude_unset=True)
    stored = old.wire(exclude_unset=True)
    if contains_mask(raw):
        if not same_target(old, new, transports):
            raise BadRequest(
                "Masked secret values cannot be kept when the server's url or command changes; "
                "send the values again"
            )
        raw = restore(raw, stored)
    for key in KEPT_ON_UPDATE:
        if key not in raw and key in stored:
            raw[key] = stored[key]
    if not principal.is_admin:
        raw["owner"] = principal.name
    elif not raw.get("owner"):
        raw["owner"] = stored.get("owner") or owner_for(principal)
    return raw


async def update_server(
    hub: Hub, principal: Principal, name: str, config: ServerConfig, new_name: str | None = None
) -> str:
    """Replace a server's config, renaming it when ``new_name`` differs; returns its name.

    A rename moves the override keys, groups and bearer keys to the new name before the
    old one goes, so no reference is left pointing at nothing.
    """
    live = hub.config
    async with hub.server_lock:
        old = server_for(live, principal, name)
        raw = merge_update(principal, old, config, hub.transports)
        config = hub.upstreams.validate(parse_config(raw))
        check_config_write(principal, config, hub.transports)
        if is_privileged(config, hub.transports):
            await authorize_host_execution(hub, principal)
        if not new_name or new_name == name:
            await live.put_server(name, config)
            return name
        check_free(live, new_name, replacing=name)
        config = rename_overrides(config, name, new_name, live.system.name_separator)
        try:
            await live.put_server(new_name, config, create=True)
        except StoreConflict as exc:
            raise Conflict(f"Server name '{new_name}' already exists") from exc
        await retarget_references(live, name, new_name)
        await live.delete_server(name)
    log.info("Server %s renamed to %s by %s", shown(name), shown(new_name), principal.name)
    return new_name


async def delete_server(hub: Hub, principal: Principal, name: str) -> None:
    """Remove a server and drop it from groups and keys (the manager disconnects it)."""
    live = hub.config
    async with hub.server_lock:
        config = server_for(live, principal, name)
        await live.delete_server(name)
        await retarget_references(live, name, None)
    forget_bundle(hub, config)
    log.info("Server %s removed by %s", shown(name), principal.name)


async def toggle_server(hub: Hub, principal: Principal, name: str, enabled: bool) -> None:
    """Enable or disable a server; a disabled server is disconnected."""
    live = hub.config
    async with hub.server_lock:
        config = server_for(live, principal, name)
        if enabled and not config.enabled and is_privileged(config, hub.transports):
            await authorize_host_execution(hub, principal, "Enabling a server with a command")
        await live.put_server(name, config.model_copy(update={"enabled": enabled}))


async def reload_server(hub: Hub, principal: Principal, name: str) -> None:
    """Close and reconnect one upstream (e.g. after it was updated out of band)."""
    config = server_for(hub.config, principal, name)
    if not config.enabled:
        raise BadRequest(f"Server {shown(name)} is disabled; enable it first")
    await hub.upstreams.reload(name)


# --------------------------------------------------------------------- references


def _rekey(config: ServerConfig, old: str, new: str) -> ServerConfig | None:
    """Tool and prompt override keys starting with ``old`` moved to ``new``; None when no
    key starts with it."""
    update: dict[str, Any] = {}
    for kind in ("tools", "prompts"):
        items = getattr(config, kind)
        if items and any(k.startswith(old) for k in items):
            update[kind] = {
                (new + k[len(old) :] if k.startswith(old) else k): v for k, v in items.items()
            }
    return config.model_copy(update=update) if update else None


def rename_overrides(config: ServerConfig, old: str, new: str, sep: str) -> ServerConfig:
    """Override keys carry the server name (``server{sep}tool``): follow a rename."""
    return _rekey(config, f"{old}{sep}", f"{new}{sep}") or config


def rename_separator(config: ServerConfig, name: str, old: str, new: str) -> ServerConfig | None:
    """Override keys after a nameSeparator change; None when nothing changes."""
    return _rekey(config, f"{name}{old}", f"{name}{new}")


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


# --------------------------------------------------------------------- settings files


def check_settings_servers(hub: Hub, settings: McpSettings) -> None:
    """Every server of a settings file (``mcphub import``, an edited settings file), checked
    as ``POST /api/servers`` checks one: its name, then its config through the transports.
    ``BadRequest`` naming the first server refused; the file's configs are kept as written."""
    for name, config in settings.mcp_servers.items():
        try:
            _NAME.validate_python(name)
        except ValidationError as exc:
            raise BadRequest(f"Invalid server name {name!r}: {exc.errors()[0]['msg']}") from exc
        try:
            hub.upstreams.validate(config)
        except BadRequest as exc:
            raise BadRequest(f"Server {name!r}: {exc.message}") from exc


_NAME: TypeAdapter[str] = TypeAdapter(ServerName)
