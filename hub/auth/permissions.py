"""The vocabulary of authorization: which actions the core asks about, and on what.

``permission_allowed(hub, principal, action, resource)`` is asked with one of these
actions; a plugin compares ``action`` with them (they are plain strings too) and reads
``resource`` to decide. Plugins may ask about actions of their own through
``hub.auth.authorize.authorize``; the core defaults have no opinion on those.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import TYPE_CHECKING

from hub.auth.principal import Policy

if TYPE_CHECKING:
    from hub.config.models import Group, ServerConfig


class Action(enum.StrEnum):
    """What a caller wants to do. Each names the resource kind it is asked with."""

    USE_API = "use-api"
    """Call a management ``/api`` route; resource kind ``api`` with the route's ``policy``.
    Asked before the handler runs, also for public routes (then without a principal)."""
    USE_TOOLS = "use-tools"
    """Call the REST tool server (``/api/openapi.json``, ``/api/tools/…``); kind ``api``."""
    USE_MCP = "use-mcp"
    """Open or use an MCP route (``/mcp…``, ``/sse``, ``/messages``); kind ``mcp``, with
    ``user`` set on user-scoped routes (``/{user}/mcp…``). The principal is None when the
    request carried no valid credentials."""
    REACH_GROUP = "reach-group"
    """Address a group by id or name in an MCP or REST tool route; kind ``group``."""
    REACH_SERVER = "reach-server"
    """Address one server by name in an MCP or REST tool route; kind ``server``."""
    RUN_ON_HOST = "run-on-host"
    """Create, change or enable something that runs a program on the hub's machine (a
    stdio server, an imported stdio config, an MCPB bundle); kind ``host``, ``name`` says
    what it is in words. The core allows admin logins and keys marked ``allowHostExecution``."""


CORE_ACTIONS = frozenset(a.value for a in Action)
"""The actions the core defaults decide; any other action gets no opinion from them."""


@dataclass(frozen=True)
class Resource:
    """What an action is about: a route, a group or a server."""

    kind: str
    """``api`` (an ``/api`` route), ``mcp`` (an MCP route), ``group``, ``server`` or ``host``."""
    name: str = ""
    """The request path for routes, the group's id, or the server's name."""
    method: str | None = None
    """The HTTP method, for routes."""
    policy: Policy | None = None
    """The policy the ``/api`` route declares for this method."""
    user: str | None = None
    """The user a user-scoped MCP route belongs to."""
    record: Group | ServerConfig | None = None
    """The group or server configuration, for ``group`` and ``server`` resources."""
