"""Per-config rights of an upstream: which hub variables ``${VAR}`` may read, and whether
its owner may dial internal addresses.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from hub.config.models import ServerConfig
from hub.upstream import env_expansion

if TYPE_CHECKING:
    from hub.app import Hub


def admin_owned(hub: Hub, config: ServerConfig) -> bool:
    """Owner None (MCPHub's default, ``admin``) or a user who is an admin."""
    if config.owner is None:
        return True
    user = hub.config.users.get(config.owner)
    return user is not None and user.is_admin


def expansion_policy(hub: Hub, config: ServerConfig) -> Callable[[str], bool]:
    """Admin-owned configs expand the allowed names; others nothing."""
    if not admin_owned(hub, config):
        return env_expansion.deny_all
    return env_expansion.allow_list_policy(hub.config.system.env_expansion.allow)


def egress_guarded(hub: Hub, config: ServerConfig) -> bool:
    """Configs of normal users may not dial internal addresses unless an admin allowed it."""
    return not admin_owned(hub, config) and not hub.config.system.egress.allow_internal
