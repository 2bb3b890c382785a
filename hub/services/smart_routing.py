"""Smart routing operations: rebuilding the tool search index (admin)."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from hub.auth.access import require_admin
from hub.auth.principal import Principal
from hub.errors import BadRequest

if TYPE_CHECKING:
    from hub.app import Hub

log = logging.getLogger(__name__)


async def reindex(hub: Hub, principal: Principal) -> dict[str, Any]:
    """Drop the search index and build it again from the live catalog.

    Never needed for correctness (the index follows the catalog by itself); useful after
    changing a provider's model outside the hub, or to measure a full build.
    """
    require_admin(principal)
    if not hub.config.system.smart_routing.enabled:
        raise BadRequest("Smart routing is not enabled")
    stats = await hub.smart.reindex()
    if not stats.provider:
        raise BadRequest("Smart routing provider could not start; see the hub's log")
    log.info("Smart-routing index rebuilt by %s: %d tools", principal.name, stats.tools)
    return {"provider": stats.provider, "tools": stats.tools}
