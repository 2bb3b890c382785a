"""Every hook a plugin may implement.

The core calls each of them through pluggy (``pm.hook.<name>``, in the facade
``hub.plugins``), so hookwrappers and ``MCPHUB_TRACE_PLUGINS`` see every call. A hookimpl
may return a plain value or an awaitable; the facade awaits what needs awaiting. Hooks that
add things receive a ``register`` callable (a typed registry keyed by name that refuses
duplicates); hooks that choose one answer take the first non-None result, awaited.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from pluggy import HookimplMarker, HookspecMarker

if TYPE_CHECKING:
    import tornado.httputil
    import tornado.web

    from hub.app import Hub
    from hub.auth.permissions import Resource
    from hub.auth.principal import Principal
    from hub.upstream.calls import FinishedCall, ToolCall

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
    where ``transport`` follows ``hub.plugin_api.Transport``: it validates its own section of
    a server config and opens connections. Return nothing.

    .. versionadded:: 0.1
    """


@hookspec
def register_storage(register: Register) -> None:
    """Add storage backends.

    Called once at hub start. Call ``register(name, factory)`` where
    ``factory(url: str, data_dir: pathlib.Path) -> hub.plugin_api.Store``. The backend is
    chosen by the ``MCPHUB_STORE`` setting (default ``sqlite``). Return nothing.

    .. versionadded:: 0.1
    """


@hookspec
def register_authenticators(register: Register) -> None:
    """Add authenticators that turn a request's credentials into a Principal.

    Called once at hub start. Call ``register(name, authenticator)`` with an object following
    ``hub.plugin_api.Authenticator``: ``async authenticate(hub, request) -> Principal | None``.
    Authenticators are tried in registration order on every request that is not public;
    None means "not my kind of credential" and the next one is asked. Authenticators say
    who is calling, never what they may do (that is ``permission_allowed``). Return nothing.

    .. versionadded:: 0.1
    """


@hookspec
def register_routes(
    hub: Hub,
) -> list[tuple[str, type[tornado.web.RequestHandler], dict[str, Any]]] | None:
    """Add HTTP routes to the hub's Tornado application.

    Called once while the application is built. Return a list of
    ``(pattern, handler_class, init_kwargs)`` tuples; patterns are relative to ``BASE_PATH``.
    Every handler class must declare a ``policy`` (see ``hub.plugin_api.Policy``) or the hub
    refuses to start. Return None or an empty list to add nothing.

    .. versionadded:: 0.1
    """


# ---------------------------------------------------------------------------
# Identity and authorization: called on each request.
# ---------------------------------------------------------------------------


@hookspec
def principal_from_request(
    hub: Hub, request: tornado.httputil.HTTPServerRequest
) -> Principal | Awaitable[Principal | None] | None:
    """Identify the caller of a request by means the registered authenticators do not cover.

    Called for every non-public request after the registered authenticators found no
    principal. Return a Principal, or an awaitable of one, or None when the plugin does not
    recognise the request. The first non-None result wins, after awaiting: an ``async def``
    hookimpl that resolves to None passes to the next plugin. (The spec is not pluggy's
    ``firstresult``, which would stop at the first coroutine object: every hookimpl is
    called, the answers are awaited in call order, and the awaitables after the winner are
    closed without running.)

    .. versionadded:: 0.1
    """


@hookspec
def permission_allowed(
    hub: Hub, principal: Principal | None, action: str, resource: Resource
) -> bool | Awaitable[bool | None] | None:
    """Decide whether ``principal`` may do ``action`` on ``resource``: the hub's one
    authorization decision point.

    Called through ``hub.auth.authorize.authorize`` for every ``/api`` request (public
    routes included, without a principal), every REST tool-server request, every MCP
    request (``/mcp…``, ``/sse``, ``/messages``, user-scoped ones too) and for the group
    or server an MCP or tool route names. ``principal`` is None when the request carried no
    valid credentials (or the route is public). ``action`` is a ``hub.plugin_api.Action``
    (a plain string; plugins may ask about their own) and ``resource`` a
    ``hub.plugin_api.Resource`` describing the route, group or server.

    Return True to allow, False to deny, None for no opinion; or an awaitable of one of
    those. The first non-None result wins, after awaiting (as for
    ``principal_from_request``). The core's own rules answer last (``trylast`` in
    ``hub.defaults``), so returning True allows what they would refuse and False refuses
    what they would allow. A denial the core rules share keeps their answer (401, 403 or
    404 with their message); one only a plugin gives is 404 for groups and servers, 401
    without a principal and 403 with one. No answer at all is a denial.

    .. versionadded:: 0.1
    """


# ---------------------------------------------------------------------------
# Lifecycle.
# ---------------------------------------------------------------------------


@hookspec
def startup(hub: Hub) -> Awaitable[None] | None:
    """Run once after the store opened and before the HTTP server accepts requests.

    May return an awaitable, which the hub awaits. pluggy calls every hookimpl first (an
    ``async def`` one only returns its coroutine), then the awaitables run one at a time in
    call order. Exceptions abort the start. Return nothing.

    .. versionadded:: 0.1
    """


@hookspec
def shutdown(hub: Hub) -> Awaitable[None] | None:
    """Run once when the hub stops, after the HTTP server stopped accepting requests and
    before upstreams close and the store closes.

    May return an awaitable. An exception from an awaitable is logged and the others still
    run. A hookimpl that raises synchronously (a plain ``def``) ends pluggy's loop: the error
    is logged, and the hookimpls after it in call order are not called this time, so write
    ``async def`` or catch your own errors.

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
    error and the upstream sees nothing. May return an awaitable. Return nothing.

    .. versionadded:: 0.1
    """


@hookspec
def after_tool_call(
    hub: Hub, call: ToolCall, result: dict[str, Any] | None, error: BaseException | None
) -> Awaitable[None] | None:
    """Observe a finished tool call (tracing, auditing).

    Called once per call with either the wire-form result or the error, a moment after the
    call finished (``hub.plugins.observing.TELL_EVERY_S``, 10 ms, with the other calls that
    finished meanwhile): the caller's reply has been written by then, so an observer adds
    nothing to the call's latency. ``call.finished`` says when it ended.
    Exceptions are logged and never change the caller's answer; every hookimpl is called
    even when one before it raised. May return an awaitable, which runs as a task of its
    own (an exception from it is logged). The result is not changed afterwards, so a
    reference to it can be read later. Return nothing.

    An observer of every call with work per call (counting, recording) should rather
    implement ``after_tool_calls``, which gets many calls at once.

    .. versionadded:: 0.1
    """


@hookspec
def after_tool_calls(hub: Hub, calls: list[FinishedCall]) -> Awaitable[None] | None:
    """Observe the tool calls that finished since the observers were last told, in the order
    they finished: ``(call, result, error)`` each, as ``after_tool_call`` gets them.

    Called when ``after_tool_call`` would be, before its hookimpls for the same calls. Under
    load one hook call covers a few dozen calls and costs far less than one per call.
    ``hub.plugin_api.tell_observers`` tells the observers at once. Do not keep or change the
    list (it is the hub's); copy what you need. Errors and awaitables are handled as for
    ``after_tool_call``. Return nothing.

    .. versionadded:: 0.2
    """


# ---------------------------------------------------------------------------
# Catalogs: where users find servers to install.
# ---------------------------------------------------------------------------


@hookspec
def register_catalogs(register: Register) -> None:
    """Add server catalogs (the market, the MCPRouter cloud, the official registry …).

    Called once at hub start. Call ``register(name, catalog)`` with a
    ``hub.plugin_api.ServerCatalog``: its ``family`` (``market``, ``registry`` or ``cloud``)
    says which of the core's routes list it (``/api/market/*`` merges every market catalog;
    ``/api/registry/*`` and ``/api/cloud/*`` use the catalog registered as ``registry`` and
    ``cloud``, or another one named by ``?catalog=``). It lists and searches entries, shows
    one, and turns an entry plus the user's argument values into a server config, which the
    core creates through the same rules as ``POST /api/servers``. Return nothing.

    .. versionadded:: 0.2
    """


# ---------------------------------------------------------------------------
# OAuth: what the hub advertises to MCP clients.
# ---------------------------------------------------------------------------


@hookspec
def resource_metadata_url(
    hub: Hub, request: tornado.httputil.HTTPServerRequest
) -> str | Awaitable[str | None] | None:
    """The RFC 9728 protected-resource metadata URL for the MCP route ``request`` asked for.

    Called when an MCP route answers 401 or 403, to fill ``resource_metadata`` of its
    ``WWW-Authenticate`` challenge. Return the URL, or None when this plugin serves no such
    document right now (an authorization server switched off); with no answer at all the
    challenge names no metadata. The first non-None answer wins, after awaiting.

    .. versionadded:: 0.2
    """


# ---------------------------------------------------------------------------
# Smart routing: the tool search index behind /mcp/$smart.
# ---------------------------------------------------------------------------


@hookspec
def register_search_index(register: Register) -> None:
    """Add tool-search providers for smart routing (``/mcp/$smart``).

    Called once at hub start. Call ``register(name, provider)`` where ``provider`` follows
    ``hub.plugin_api.SearchProvider``: ``check(config)`` raises ``ProviderUnavailable`` when
    it cannot run with a ``SmartRoutingConfig`` (a 400 on the system-config write that
    selects it), and ``open(config, data_dir)`` returns a ``SearchIndex``. The provider named
    by ``smartRouting.embeddingProvider`` is used; the hub feeds its index the catalog's
    tools incrementally and cuts its answers to what each caller may call. Return nothing.

    .. versionadded:: 0.1
    """


# ---------------------------------------------------------------------------
# HTTP requests: observation after each response (metrics, tracing).
# ---------------------------------------------------------------------------


@hookspec
def request_finished(hub: Hub, handler: tornado.web.RequestHandler, route: str) -> None:
    """Observe one finished HTTP request: its status (``handler.get_status()``), method and
    duration (``handler.request.request_time()``).

    ``handler`` is the request's ``RequestHandler``, except for a session's ``POST /mcp…``,
    which the hub answers below Tornado's handlers (``hub.mcp.session_post``): then it is an
    object with the same ``request`` and ``get_status()`` (read only those two).

    Called synchronously from the access-log function once the response was written, for
    every request the hub served, only if some plugin implements this hook (decided once,
    when the application is built, so the hook costs nothing otherwise). ``route`` is the
    matched route's template with its parameters named (``/api/servers/{name}``,
    ``/mcp/{group}``), never the raw path, or ``unmatched``; use it as a bounded label.
    Must be quick and must not block; an awaitable returned is not awaited. An exception
    is logged and the request is unaffected. Return nothing.

    .. versionadded:: 0.2
    """


@hookspec
def requests_finished(
    hub: Hub, requests: list[tuple[tornado.web.RequestHandler, str]]
) -> Awaitable[None] | None:
    """Observe the HTTP requests that finished since the observers were last told, in
    order: ``(handler, route)`` each, as ``request_finished`` gets them.

    Called when ``after_tool_calls`` is. Under load one hook call covers many requests and
    costs far less than one per request: count here.
    Read only ``handler.get_status()`` and ``handler.request``, and do not keep or change
    the list. Exceptions are logged; an awaitable returned runs as a task of its own.
    Return nothing.

    .. versionadded:: 0.2
    """


@hookspec
def requests_counted(hub: Hub, counts: dict[tuple[str, int], int]) -> Awaitable[None] | None:
    """Count the HTTP requests that finished since the observers were last told: how many
    by ``(route, status code)``, ``route`` as ``request_finished`` gets it.

    Called when ``requests_finished`` is. The cheapest request hook: the hub counts on the
    request's path (one dict update, no handler kept) and labels each distinct route once.
    Do not keep or change the dict. Exceptions are logged; an awaitable returned runs as a
    task of its own. Return nothing.

    .. versionadded:: 0.2
    """
