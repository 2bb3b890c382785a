"""The public plugin API: everything a plugin may import from the hub, in one place.

Built-in plugins (``plugins/``) and third-party ones (``contrib/``, anything installed under
the ``mcphub`` entry-point group) import from here and from ``hub.testing`` only; a test
fails when one reaches into another ``hub`` module. Names here are kept stable: a rename
keeps the old name as an alias for a release.
"""

from __future__ import annotations

from hub.api.base import APIHandler
from hub.auth.principal import Policy, Principal
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
from hub.upstream.transport import AuthRequired, Target, Transport, one_line

__all__ = [
    "APIHandler",
    "AuthRequired",
    "BadRequest",
    "Conflict",
    "Downstream",
    "Forbidden",
    "HubError",
    "Model",
    "NotFound",
    "PayloadTooLarge",
    "Policy",
    "Principal",
    "Register",
    "Registry",
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
    "current_downstream",
    "hookimpl",
    "is_hub_secret",
    "one_line",
]
