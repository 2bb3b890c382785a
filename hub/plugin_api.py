"""The public plugin API: everything a plugin may import from the hub, in one place.

Built-in plugins (``plugins/``) and third-party ones (``contrib/``, anything installed under
the ``mcphub`` entry-point group) import from here and from ``hub.testing`` only (plus
``from hub import hookimpl``); a test fails when one reaches into another ``hub`` module.
Names here are kept stable: a rename keeps the old name as an alias for a release.

What the hooks hand a plugin, by hook:

- every hook: ``Hub`` (``hub``);
- ``register_*``: a ``Registry`` (``register``) of ``Transport``, ``Store`` factories or
  ``Authenticator`` objects;
- ``register_routes``: ``APIHandler`` subclasses declaring a ``Policy``;
- ``principal_from_request`` / ``permission_allowed``: a ``Principal``, an ``Action`` and a
  ``Resource``; ``authorize`` asks the same question from a plugin's own handler;
- ``before_tool_call`` / ``after_tool_call``: a ``ToolCall``;
- the change bus (``hub.bus``) carries ``ChangeEvent`` objects; a store may also keep an
  ``ActivityLog``.
"""

from __future__ import annotations

from hub.api.base import APIHandler
from hub.app import Hub
from hub.auth.authorize import authorize, authorize_host_execution
from hub.auth.identity import Authenticator
from hub.auth.permissions import Action, Resource
from hub.auth.principal import Policy, Principal
from hub.config.activities import ActivityLog
from hub.config.events import Change, ChangeEvent, Kind
from hub.config.models import Model, ServerConfig, SystemConfig
from hub.config.store import Conflict as StoreConflict
from hub.config.store import Store, StoreError
from hub.errors import (
    BadRequest,
    Conflict,
    Forbidden,
    HubError,
    NotFound,
    PayloadTooLarge,
    TooManyRequests,
    Unauthorized,
    UpstreamError,
)
from hub.hookspecs import Register, hookimpl
from hub.registry import Registry
from hub.upstream.calls import Downstream, ToolCall, current_downstream
from hub.upstream.env_expansion import is_hub_secret
from hub.upstream.transport import AuthRequired, Claim, Target, Transport, one_line

__all__ = [
    "APIHandler",
    "Action",
    "ActivityLog",
    "AuthRequired",
    "Authenticator",
    "BadRequest",
    "Change",
    "ChangeEvent",
    "Claim",
    "Conflict",
    "Downstream",
    "Forbidden",
    "Hub",
    "HubError",
    "Kind",
    "Model",
    "NotFound",
    "PayloadTooLarge",
    "Policy",
    "Principal",
    "Register",
    "Registry",
    "Resource",
    "ServerConfig",
    "Store",
    "StoreConflict",
    "StoreError",
    "SystemConfig",
    "Target",
    "TooManyRequests",
    "ToolCall",
    "Transport",
    "Unauthorized",
    "UpstreamError",
    "authorize",
    "authorize_host_execution",
    "current_downstream",
    "hookimpl",
    "is_hub_secret",
    "one_line",
]
