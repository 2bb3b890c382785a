"""The public plugin API: everything a plugin may import from the hub, in one place.

Built-in plugins (``plugins/``) and third-party ones (``contrib/``, anything installed under
the ``mcphub`` entry-point group) import from here and from ``hub.testing`` only (plus
``from hub import hookimpl``); a test fails when one reaches into another ``hub`` module.
Names here are kept stable: a rename keeps the old name as an alias for a release.

What the hooks hand a plugin, by hook:

- every hook: ``Hub`` (``hub``);
- ``register_*``: a ``Registry`` (``register``) of ``Transport``, ``Store`` factories or
  ``Authenticator`` objects; a ``Store`` yields a ``TransactionView`` over its
  ``DocumentOps`` from ``transaction()``;
- ``register_routes``: ``APIHandler`` subclasses declaring a ``Policy``;
- ``principal_from_request`` / ``permission_allowed``: a ``Principal``, an ``Action`` and a
  ``Resource``; ``authorize`` asks the same question from a plugin's own handler;
- ``before_tool_call`` / ``after_tool_call``: a ``ToolCall`` (``after_tool_calls``: a list of
  ``FinishedCall``); ``tell_observers`` tells the observer hooks at once of what finished;
- ``register_catalogs``: ``ServerCatalog`` objects (``Entry``, ``PageQuery``), which reach
  other services with ``fetch_json`` (timeouts, size caps, the egress policy) and may reuse
  MCPHub's market format (``normalise_market``, ``market_server_config``);
- ``register_search_index``: ``SearchProvider`` objects whose ``SearchIndex`` holds
  ``ToolDoc`` entries and answers ``SearchHit`` lists (``ProviderUnavailable`` when it
  cannot run with a ``SmartRoutingConfig``);
- the change bus (``hub.bus``) carries ``ChangeEvent`` objects; a store may also keep an
  ``ActivityLog`` (a table of ``ACTIVITY_COLUMNS`` filled by ``activity_row``).
"""

from __future__ import annotations

from hub.api.auth import LOGIN_FAILURES
from hub.api.base import APIHandler
from hub.app import Hub
from hub.auth.authorize import authorize, authorize_host_execution
from hub.auth.identity import Authenticator, identify
from hub.auth.permissions import Action, Resource
from hub.auth.principal import Policy, Principal
from hub.auth.rate_limits import Limit, limiter_for, too_many
from hub.auth.tokens import hash_key, issue_token, request_token_hash, same_secret
from hub.catalogs.contract import Entry, PageQuery, ServerCatalog
from hub.catalogs.fetch import FetchResult, check_url, fetch_json
from hub.catalogs.market_format import market_server_config
from hub.catalogs.market_format import normalise as normalise_market
from hub.config.activities import (
    ACTIVITY_COLUMNS,
    DISTINCT_COLUMNS,
    LIST_FILTERS,
    MAX_ACTIVITY_ID,
    ActivityLog,
    ActivityQuery,
    activity_id,
    activity_log,
    activity_record,
    activity_row,
    activity_summary,
    insert_activity_sql,
)
from hub.config.events import Change, ChangeEvent, Kind, document_event
from hub.config.models import Model, ServerConfig, SystemConfig, User
from hub.config.shared import SessionRegistry, SharedRateLimits
from hub.config.store import Conflict as StoreConflict
from hub.config.store import DocumentOps, Store, StoreError, TransactionView
from hub.config.system import SmartRoutingConfig
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
from hub.mcp.json_codec import dumps as json_dumps
from hub.mcp.json_codec import loads as json_loads
from hub.plugins.observing import tell_observers
from hub.plugins.state import PerHub
from hub.registry import Registry
from hub.search.documents import (
    ProviderUnavailable,
    SearchHit,
    SearchIndex,
    ToolDoc,
    doc_key,
    split_key,
)
from hub.search.router import SearchProvider
from hub.services import oauth_clients
from hub.upstream.calls import Downstream, FinishedCall, ToolCall, current_downstream
from hub.upstream.direct import (
    DirectLink,
    Linked,
    LogSink,
    Progress,
    cancelled_notification,
    connection_closed,
    log_params,
    progress_of,
)
from hub.upstream.env_expansion import is_hub_secret
from hub.upstream.transport import AuthRequired, Claim, Target, Transport, one_line

__all__ = [
    "LOGIN_FAILURES",
    "APIHandler",
    "Action",
    "ActivityLog",
    "ActivityQuery",
    "AuthRequired",
    "Authenticator",
    "BadRequest",
    "Change",
    "ChangeEvent",
    "Claim",
    "Conflict",
    "DirectLink",
    "DocumentOps",
    "Downstream",
    "Entry",
    "FetchResult",
    "FinishedCall",
    "Forbidden",
    "Hub",
    "HubError",
    "Kind",
    "Limit",
    "Linked",
    "LogSink",
    "Model",
    "NotFound",
    "PageQuery",
    "PayloadTooLarge",
    "PerHub",
    "Policy",
    "Principal",
    "Progress",
    "ProviderUnavailable",
    "Register",
    "Registry",
    "Resource",
    "SearchHit",
    "SearchIndex",
    "SearchProvider",
    "ServerCatalog",
    "ServerConfig",
    "SessionRegistry",
    "SharedRateLimits",
    "SmartRoutingConfig",
    "Store",
    "StoreConflict",
    "StoreError",
    "SystemConfig",
    "Target",
    "TooManyRequests",
    "ToolCall",
    "ToolDoc",
    "TransactionView",
    "Transport",
    "Unauthorized",
    "UpstreamError",
    "User",
    "activity_log",
    "authorize",
    "authorize_host_execution",
    "cancelled_notification",
    "check_url",
    "connection_closed",
    "current_downstream",
    "doc_key",
    "document_event",
    "fetch_json",
    "hash_key",
    "hookimpl",
    "identify",
    "is_hub_secret",
    "issue_token",
    "json_dumps",
    "json_loads",
    "limiter_for",
    "log_params",
    "market_server_config",
    "normalise_market",
    "oauth_clients",
    "one_line",
    "progress_of",
    "request_token_hash",
    "same_secret",
    "tell_observers",
    "too_many",
]

# --- settings files: what a store keeping ``mcp_settings.json`` itself needs (issue 20) ---
from hub.config.memory_store import MemoryStore
from hub.config.models import McpSettings
from hub.config.settings_file import (
    SettingsFileError,
    Snapshot,
    dump,
    fingerprint,
    parse_settings,
    settings_snapshot,
    snapshot_document,
    write_atomic,
)
from hub.services.servers import check_settings_servers

__all__ += [
    "ACTIVITY_COLUMNS",
    "DISTINCT_COLUMNS",
    "LIST_FILTERS",
    "MAX_ACTIVITY_ID",
    "activity_id",
    "activity_record",
    "activity_row",
    "activity_summary",
    "insert_activity_sql",
]

__all__ += [
    "McpSettings",
    "MemoryStore",
    "SettingsFileError",
    "Snapshot",
    "check_settings_servers",
    "dump",
    "fingerprint",
    "parse_settings",
    "settings_snapshot",
    "snapshot_document",
    "split_key",
    "write_atomic",
]
