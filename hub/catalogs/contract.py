"""What a catalog plugin registers through ``register_catalogs``: a ``ServerCatalog``.

A catalog has a name (its registry key), belongs to a route family, lists and searches its
entries, shows one, and turns an entry plus the user's argument values into an ordinary
server config, which the core then creates through the same service as ``POST
/api/servers``. The families are MCPHub's:

- ``market``: entries are MCPHub ``MarketServer`` objects; ``/api/market/*`` merges the
  entries of every market catalog (the shipped/URL one, third parties');
- ``registry``: a v0.1 registry API whose pages ``/api/registry/*`` pass through unchanged;
- ``cloud``: the MCPRouter API behind ``/api/cloud/*`` (listing, tools, tool calls).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from hub.errors import BadRequest, NotFound

if TYPE_CHECKING:
    from hub.app import Hub

Entry = dict[str, Any]
"""One catalog entry as the routes return it (a ``MarketServer``, a registry server …)."""


@dataclass(frozen=True)
class PageQuery:
    """A page request of the registry family: passed to the registry as given."""

    search: str | None = None
    cursor: str | None = None
    limit: int | None = None


class ServerCatalog:
    """Base class of catalogs; override what the family needs.

    Every method receives the running hub (its ``config.system`` holds the settings).
    Methods that reach another service raise ``hub.plugin_api.UpstreamError`` when it
    fails; a missing entry is None from ``show`` and ``versions``.
    """

    family: ClassVar[str] = "market"
    """``market``, ``registry`` or ``cloud``: which route family lists this catalog."""
    title: ClassVar[str] = ""
    """A human name for listings (``mcphub plugins`` shows the plugin, this the catalog)."""

    async def entries(self, hub: Hub) -> list[Entry]:
        """Every entry (market and cloud families). Default: none."""
        return []

    async def page(self, hub: Hub, query: PageQuery) -> Any:
        """One page of the registry family, as the registry answered (JSON)."""
        raise NotFound("This catalog has no pages")

    async def show(self, hub: Hub, name: str, version: str | None = None) -> Entry | None:
        """One entry by name (and version, for the registry family); None when unknown.
        Default: the entry of ``entries`` whose ``name`` matches."""
        for entry in await self.entries(hub):
            if entry.get("name") == name:
                return entry
        return None

    async def versions(self, hub: Hub, name: str) -> Any | None:
        """Every version of an entry (registry family); None when unknown."""
        return None

    async def tools(self, hub: Hub, name: str) -> list[dict[str, Any]]:
        """The tools of an entry served by the catalog itself (cloud family)."""
        raise BadRequest("This catalog does not serve tools")

    async def call_tool(
        self, hub: Hub, name: str, tool: str, arguments: dict[str, Any]
    ) -> dict[str, Any]:
        """Call a tool of an entry served by the catalog itself (cloud family)."""
        raise BadRequest("This catalog does not serve tools")

    async def aclose(self) -> None:
        """Called once when the hub stops: end background work (refresh tasks)."""

    async def server_config(
        self, hub: Hub, entry: Entry, installation: str | None, arguments: dict[str, Any]
    ) -> dict[str, Any]:
        """The server config (``mcp_settings.json`` form) that installs ``entry`` with the
        user's ``arguments``. Raise ``BadRequest`` for a missing required argument or an
        unknown installation. Default: MCPHub's market format (``installations``)."""
        from hub.catalogs.market_format import market_server_config

        return market_server_config(entry, installation, arguments)
