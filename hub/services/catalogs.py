"""Catalogs: what ``/api/market``, ``/api/registry`` and ``/api/cloud`` read, and installing
an entry as a server.

The catalogs themselves are plugins (``register_catalogs``); these functions find the right
one, apply MCPHub's search and label rules, and install through ``create_server``, the
same service as ``POST /api/servers`` (owner, the stdio-admin rule, validation).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, Field, TypeAdapter, ValidationError

from hub.catalogs import market_format
from hub.catalogs.contract import Entry, PageQuery, ServerCatalog
from hub.config.models import ServerConfig
from hub.config.redaction import mask_server
from hub.errors import BadRequest, NotFound, validation_message
from hub.services import servers
from hub.upstream.config_check import ServerName

if TYPE_CHECKING:
    from hub.app import Hub
    from hub.auth.principal import Principal

_NAME = TypeAdapter(ServerName)


class InstallBody(BaseModel):
    """Install a market entry: which installation, the argument values, the server's name."""

    installation: str | None = None
    arguments: dict[str, Any] = Field(default_factory=dict)
    name: str | None = None


class RegistryInstallBody(InstallBody):
    """Install a registry server: a package type (npm, pypi, oci) or ``remote``."""

    serverName: str = Field(min_length=1)
    version: str = "latest"
    catalog: str | None = None


# --------------------------------------------------------------------- finding catalogs


def catalogs_of(hub: Hub, family: str) -> list[tuple[str, ServerCatalog]]:
    """The registered catalogs of a family, in registration order."""
    return [(n, c) for n, c in hub.catalogs.items() if getattr(c, "family", None) == family]


def catalog_for(hub: Hub, family: str, name: str | None = None) -> ServerCatalog:
    """The catalog called ``name`` (default: the family's own name), or the family's only
    one; 404 when there is none."""
    wanted = name or family
    catalog = hub.catalogs.get(wanted)
    if catalog is not None and getattr(catalog, "family", None) == family:
        return catalog
    found = catalogs_of(hub, family)
    if name is None and len(found) == 1:
        return found[0][1]
    raise NotFound(f"No {family} catalog '{wanted}' is available")


def describe(hub: Hub) -> list[dict[str, Any]]:
    """Every registered catalog: ``{name, family, title}``, in registration order."""
    return [
        {
            "name": name,
            "family": getattr(catalog, "family", "market"),
            "title": getattr(catalog, "title", "") or name,
        }
        for name, catalog in hub.catalogs.items()
    ]


# --------------------------------------------------------------------- market


async def market_entries(hub: Hub) -> list[Entry]:
    """Every market catalog's entries, official ones first; a name another catalog already
    gave is left out (the first registered catalog wins)."""
    seen: set[str] = set()
    merged: list[Entry] = []
    for name, catalog in catalogs_of(hub, "market"):
        for entry in await catalog.entries(hub):
            key = str(entry.get("name", ""))
            if key and key not in seen:
                seen.add(key)
                merged.append({**entry, "catalog": name})
    return sorted(merged, key=lambda e: not e.get("is_official"))


async def market_entry(hub: Hub, name: str) -> tuple[ServerCatalog, Entry]:
    for catalog_name, catalog in catalogs_of(hub, "market"):
        entry = await catalog.show(hub, name)
        if entry is not None:
            return catalog, {**entry, "name": name, "catalog": catalog_name}
    raise NotFound("Market server not found")


async def market_search(hub: Hub, query: str) -> list[Entry]:
    return market_format.search(await market_entries(hub), query)


async def market_labels(hub: Hub, field: str) -> list[str]:
    return market_format.labels(await market_entries(hub), field)


async def market_with_label(hub: Hub, field: str, value: str) -> list[Entry]:
    return market_format.with_label(await market_entries(hub), field, value)


# --------------------------------------------------------------------- install


async def install(
    hub: Hub,
    principal: Principal,
    catalog: ServerCatalog,
    entry: Entry,
    body: InstallBody,
    default_name: str,
) -> dict[str, Any]:
    """Create the server an entry describes; returns ``{name, config}`` (secrets masked)."""
    raw = await catalog.server_config(hub, entry, body.installation, body.arguments)
    try:
        name = _NAME.validate_python(body.name or default_name)
        config = ServerConfig.model_validate(raw)
    except ValidationError as exc:
        raise BadRequest(validation_message(exc)[0]) from exc
    await servers.create_server(hub, principal, name, config)
    stored = hub.config.servers[name]
    return {"name": name, "config": mask_server(stored.wire())}


async def install_market(
    hub: Hub, principal: Principal, name: str, body: InstallBody
) -> dict[str, Any]:
    catalog, entry = await market_entry(hub, name)
    return await install(hub, principal, catalog, entry, body, _server_name(name))


async def install_registry(
    hub: Hub, principal: Principal, body: RegistryInstallBody
) -> dict[str, Any]:
    catalog = catalog_for(hub, "registry", body.catalog)
    entry = await catalog.show(hub, body.serverName, body.version)
    if entry is None:
        raise NotFound("Server version not found")
    return await install(hub, principal, catalog, entry, body, _server_name(body.serverName))


async def install_cloud(
    hub: Hub, principal: Principal, name: str, body: InstallBody, catalog: str | None = None
) -> dict[str, Any]:
    source = catalog_for(hub, "cloud", catalog)
    entry = await source.show(hub, name)
    if entry is None:
        raise NotFound("Cloud server not found")
    default = str(entry.get("config_name") or entry.get("server_key") or name)
    return await install(hub, principal, source, entry, body, _server_name(default))


def _server_name(entry_name: str) -> str:
    """A hub server name from a catalog name: the part after the last ``/``
    (``io.github.x/weather`` → ``weather``)."""
    return entry_name.rstrip("/").rsplit("/", 1)[-1] or entry_name


# --------------------------------------------------------------------- registry


async def registry_page(hub: Hub, query: PageQuery, catalog: str | None = None) -> Any:
    return await catalog_for(hub, "registry", catalog).page(hub, query)


async def registry_versions(hub: Hub, name: str, catalog: str | None = None) -> Any:
    if not name:
        raise BadRequest("Server name is required")
    found = await catalog_for(hub, "registry", catalog).versions(hub, name)
    if found is None:
        raise NotFound("Server not found")
    return found


async def registry_version(hub: Hub, name: str, version: str, catalog: str | None = None) -> Entry:
    if not name or not version:
        raise BadRequest("Server name and version are required")
    found = await catalog_for(hub, "registry", catalog).show(hub, name, version)
    if found is None:
        raise NotFound("Server version not found")
    return found
