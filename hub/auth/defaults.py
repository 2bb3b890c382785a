"""Core defaults, registered as an essential plugin that cannot be blocked.

The JWT and bearer-key authenticators (``hub.auth.identity``), and today's access rules
(``hub.auth.rules``) as the last answer to ``permission_allowed``: ``trylast``, so any other
plugin's opinion comes first and a plugin overrides a default just by implementing the hook.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from hub.auth import rules
from hub.auth.identity import BearerKeyAuthenticator, JWTAuthenticator
from hub.auth.permissions import CORE_ACTIONS
from hub.hookspecs import hookimpl

if TYPE_CHECKING:
    from hub.app import Hub
    from hub.auth.identity import Authenticator
    from hub.auth.permissions import Resource
    from hub.auth.principal import Principal
    from hub.registry import Registry


@hookimpl
def register_authenticators(register: Registry[Authenticator]) -> None:
    register("jwt", JWTAuthenticator())
    register("bearer-key", BearerKeyAuthenticator())


@hookimpl(trylast=True)
def permission_allowed(
    hub: Hub, principal: Principal | None, action: str, resource: Resource
) -> bool | None:
    """Today's rules for the core's actions; no opinion on actions a plugin made up."""
    if action not in CORE_ACTIONS:
        return None
    return rules.refusal(hub, principal, action, resource) is None
