"""Every hook a plugin may implement.

A hookimpl may return a plain value or an awaitable; the facade in ``hub.plugins`` awaits
what needs awaiting. Hooks that add things receive a ``register`` callable (a typed
registry keyed by name that refuses duplicates); hooks that choose one answer stop at the
first non-None result.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from pluggy import HookimplMarker, HookspecMarker

if TYPE_CHECKING:
    import tornado.httputil
    import tornado.web

    from hub.app import Hub
    from hub.auth.principal import Principal
    from hub.upstream.calls import ToolCall

NAME = "mcphub"
"""Project name of the markers and of the entry-point group that plugins register under."""

hookspec = HookspecMarker(NAME)
hookimpl = HookimplMarker(NAME)

Register = Callable[..., None]
"""``register(name, obj)``: adds ``obj`` under ``name``; raises ``ValueError`` on a duplicate."""


# ---------------------------------------------------------------------------
# Registries: called once when the hub starts, before any upstream connects.
# ---------------------------------------------------------------------------


@hookspec
def register_transports(register: Register) -> None:
    """Add upstream transports (``stdio``, ``sse``, ``streamable-http``, ``openapi`` …).

    Called once at hub start. Call ``register(kind, transport)`` for each transport,
    where ``transport`` follows ``hub.upstream.transport.Transport``: it validates its own section of
    a server config and opens connections. Return nothing.

    .. versionadded:: 0.1
    """


@hookspec
def register_storage(register: Register) -> None:
    """Add storage backends.

    Called once at hub start. Call ``register(name, factory)`` where
    ``factory(url: str, data_dir: pathlib.Path) -> hub.config.store.Store``. The backend is
    chosen by the ``MCPHUB_STORE`` setting (default ``sqlite``). Return nothing.

    .. versionadded:: 0.1
    """


@hookspec
def register_authenticators(register: Register) -> None:
    """Add authenticators that turn a request's credentials into a Principal.

    Called once at hub start. Call ``register(name, authenticator)`` with an object that has
    ``async authenticate(hub, request) -> Principal | None``. Authenticators are tried in
    registration order; None means "not my kind of credential". Return nothing.

    .. versionadded:: 0.1
    """


@hookspec
def register_catalogs(register: Register) -> None:
    """Add market catalogs (servers a user can install from a list).

    Called once at hub start. Call ``register(name, catalog)`` with an object offering
    ``async search(query: str) -> list[dict]`` and ``async get(name: str) -> dict | None``.
    Return nothing.

    .. versionadded:: 0.1
    """


@hookspec
def register_search_index(register: Register) -> None:
    """Add tool-search indexes used by smart routing (``$smart``).

    Called once at hub start. Call ``register(name, index)`` with an object offering
    ``async update(tools: list[dict]) -> None`` and
    ``async search(query: str, limit: int) -> list[tuple[str, float]]``. Return nothing.

    .. versionadded:: 0.1
    """


@hookspec
def register_routes(hub: Hub) -> list[tuple[str, type[tornado.web.RequestHandler], dict[str, Any]]]:
    """Add HTTP routes to the hub's Tornado application.

    Called once while the application is built. Return a list of
    ``(pattern, handler_class, init_kwargs)`` tuples; patterns are relative to ``BASE_PATH``.
    Every handler class must declare a ``policy`` (see ``hub.auth.principal.Policy``) or the hub
    refuses to start. Return None or an empty list to add nothing.

    .. versionadded:: 0.1
    """


# ---------------------------------------------------------------------------
# Authentication: called on each request that is not public.
# ---------------------------------------------------------------------------


@hookspec(firstresult=True)
def principal_from_request(
    hub: Hub, request: tornado.httputil.HTTPServerRequest
) -> Principal | Awaitable[Principal | None] | None:
    """Identify the caller of a request by means the registered authenticators do not cover.

    Called for every non-public request after the registered authenticators found no
    principal. Return a Principal (or an awaitable of one). Stops at the first non-None
    result; None means the plugin does not recognise the request.

    .. versionadded:: 0.1
    """


# ---------------------------------------------------------------------------
# Lifecycle.
# ---------------------------------------------------------------------------


@hookspec
def startup(hub: Hub) -> Awaitable[None] | None:
    """Run once after the store opened and before the HTTP server accepts requests.

    May return an awaitable, which the hub awaits. Exceptions abort the start.

    .. versionadded:: 0.1
    """


@hookspec
def shutdown(hub: Hub) -> Awaitable[None] | None:
    """Run once when the hub stops, after the HTTP server stopped accepting requests and
    before upstreams close and the store closes.

    May return an awaitable. Exceptions are logged and do not stop other hookimpls.

    .. versionadded:: 0.1
    """


# ---------------------------------------------------------------------------
# Tool calls: middleware around every tools/call, from MCP and from the REST bridge.
# ---------------------------------------------------------------------------


@hookspec
def before_tool_call(hub: Hub, call: ToolCall) -> Awaitable[None] | None:
    """Inspect or refuse a tool call before it reaches its upstream.

    Called after the call was authorised against the caller's view and before it is sent.
    Raise ``hub.errors.Forbidden`` (or any ``HubError``) to refuse it; the caller gets the
    error and the upstream sees nothing. May return an awaitable.

    .. versionadded:: 0.1
    """


@hookspec
def after_tool_call(
    hub: Hub, call: ToolCall, result: dict[str, Any] | None, error: BaseException | None
) -> Awaitable[None] | None:
    """Observe a finished tool call (activity logging, metrics).

    Called once per call with either the wire-form result or the error. Exceptions are
    logged and never change the caller's answer. May return an awaitable.

    .. versionadded:: 0.1
    """
