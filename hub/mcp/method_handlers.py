"""The hub's MCP server: one SDK ``Server`` whose handlers read the caller's view.

The HTTP layer puts a ``CallInfo`` in each request's metadata (``ctx.request``); handlers
answer lists from the view and route calls to the owning upstream, checked against that
same view, so nothing the caller cannot list can be called.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import mcp_types as t
from mcp.server import Server, ServerRequestContext
from mcp.server.caching import CACHEABLE_METHODS, CacheHint
from mcp.server.context import CallNext, HandlerResult
from mcp.server.lowlevel.server import NotificationOptions
from mcp.server.models import InitializationOptions
from mcp.shared.exceptions import MCPError
from mcp_types.version import MODERN_PROTOCOL_VERSIONS

from hub import __version__
from hub.errors import HubError, UpstreamError
from hub.mcp import builtin_items
from hub.mcp.catalog import LIST_KEYS, View
from hub.mcp.sessions import dumps
from hub.mcp.tool_calls import UnknownTool, invoke_tool
from hub.upstream.calls import current_downstream

if TYPE_CHECKING:
    from hub.app import Hub
    from hub.auth.principal import Principal
    from hub.mcp.sessions import HubSession
    from hub.upstream.calls import Downstream

log = logging.getLogger(__name__)

RESOURCE_NOT_FOUND = -32002
"""The handshake era's conventional resource-not-found code (2026 uses -32602)."""

ENVELOPE_PREFIX = "io.modelcontextprotocol/"


@dataclass
class CallInfo:
    """Everything a handler needs about the downstream request it serves."""

    hub: Hub
    view: View
    principal: Principal | None
    group: str | None
    downstream: Downstream
    session: HubSession | None = None
    listen: dict[str, Any] = field(default_factory=dict)
    subscribed: Callable[[str, str], bool] = lambda server, uri: False
    """Whether any live session still subscribes to (server, uri) (set by the endpoint)."""
    via: str = "mcp"
    """The route family of the request (``ToolCall.via``); legacy SSE is told by the session."""


Ctx = ServerRequestContext[Any, CallInfo]


def _info(ctx: Ctx) -> CallInfo:
    info = ctx.request
    if not isinstance(info, CallInfo):
        raise MCPError(t.INTERNAL_ERROR, "request carries no hub context")
    return info


def forward_meta(meta: Any) -> dict[str, Any] | None:
    """The caller's ``_meta`` minus what belongs to this hop (progress token, envelope)."""
    if meta is None:
        return None
    raw = meta.model_dump(by_alias=True, exclude_none=True) if hasattr(meta, "model_dump") else meta
    out = {
        k: v
        for k, v in dict(raw).items()
        if k != "progressToken" and not str(k).startswith(ENVELOPE_PREFIX)
    }
    return out or None


async def _upstream(info: CallInfo, op: str, server: str, **kwargs: Any) -> dict[str, Any]:
    """Call the upstream manager with the caller as ``current_downstream``."""
    token = current_downstream.set(info.downstream)
    try:
        fn = getattr(info.hub.upstreams, op)
        result: dict[str, Any] = await fn(server, **kwargs)
        return result
    finally:
        current_downstream.reset(token)


def _complete(ctx: Ctx, result: dict[str, Any]) -> dict[str, Any]:
    """Upstream results from a 2025 server lack the ``resultType`` the 2026 wire requires."""
    if ctx.protocol_version in MODERN_PROTOCOL_VERSIONS and "resultType" not in result:
        return {**result, "resultType": "complete"}
    return result


def hub_error(exc: HubError) -> MCPError:
    return MCPError(t.INVALID_REQUEST if exc.status < 500 else t.INTERNAL_ERROR, exc.message)


# ---------------------------------------------------------------------- lists


async def _list(ctx: Ctx, params: t.PaginatedRequestParams | None) -> dict[str, Any]:
    kind, key = LIST_KEYS[ctx.method]
    cursor = params.cursor if params is not None else None
    try:
        items, next_cursor = _info(ctx).view.page(kind, cursor)
    except ValueError:
        raise MCPError(t.INVALID_PARAMS, "Invalid cursor") from None
    out: dict[str, Any] = {key: items}
    if next_cursor is not None:
        out["nextCursor"] = next_cursor
    return _complete(ctx, out)


async def list_cache(ctx: Ctx, call_next: CallNext) -> HandlerResult:
    """Serve ``*/list`` from the view's pre-serialised pages (SDK list dumps are slow)."""
    if ctx.method not in LIST_KEYS:
        return await call_next(ctx)
    info = ctx.request
    if not isinstance(info, CallInfo):
        return await call_next(ctx)
    session = info.session
    if session is not None and not session.connection.initialize_accepted:
        return await call_next(ctx)
    params = ctx.params or {}
    cursor = params.get("cursor")
    if cursor is not None and not isinstance(cursor, str):
        return await call_next(ctx)
    key = (ctx.method, ctx.protocol_version, cursor)
    cached = info.view.wire.get(key)
    if cached is None:
        result = await call_next(ctx)
        if not isinstance(result, dict):
            return result
        info.view.wire[key] = cached = result
        items = result.get(LIST_KEYS[ctx.method][1])
        if isinstance(items, list):
            info.view.encoded[id(items)] = (items, dumps(result))
    return dict(cached)


def encoded_list(view: View, method: str, result: Any) -> bytes | None:
    """The JSON of a cached list result when ``result`` is (a copy of) it, else None.

    The SDK copies the dict ``list_cache`` returns, but the copy holds the same item list,
    whose identity finds the bytes encoded when the page was cached (a 500-tool page is
    about 45 KB, and encoding it was 40 % of a tools/list).
    """
    keys = LIST_KEYS.get(method)
    if keys is None or not isinstance(result, dict):
        return None
    items = result.get(keys[1])
    entry = view.encoded.get(id(items))
    return entry[1] if entry is not None and entry[0] is items else None


# ---------------------------------------------------------------------- calls


async def call_tool(ctx: Ctx, params: t.CallToolRequestParams) -> dict[str, Any]:
    try:
        result = await invoke_tool(
            _info(ctx), params.name, dict(params.arguments or {}), forward_meta(params.meta)
        )
    except UnknownTool as exc:
        raise MCPError(t.INVALID_PARAMS, exc.message) from None
    except HubError as exc:
        raise hub_error(exc) from None
    return _complete(ctx, result)


async def get_prompt(ctx: Ctx, params: t.GetPromptRequestParams) -> dict[str, Any]:
    info = _info(ctx)
    target = info.view.prompt(params.name)
    if target is None:
        raise MCPError(t.INVALID_PARAMS, f"Unknown prompt: {params.name}")
    server, name = target
    arguments = dict(params.arguments or {})
    if server == builtin_items.BUILTIN:
        prompt = info.hub.config.prompts.get(name)
        if prompt is None:
            raise MCPError(t.INVALID_PARAMS, f"Unknown prompt: {params.name}")
        missing = builtin_items.missing_arguments(prompt, arguments)
        if missing:
            raise MCPError(t.INVALID_PARAMS, f"Missing required arguments: {', '.join(missing)}")
        return _complete(ctx, builtin_items.render_prompt(prompt, arguments))
    try:
        result = await _upstream(info, "get_prompt", server, name=name, arguments=arguments)
    except UpstreamError as exc:
        raise MCPError(t.INTERNAL_ERROR, exc.message) from None
    return _complete(ctx, result)


def _not_found(ctx: Ctx, uri: str) -> MCPError:
    code = (
        t.INVALID_PARAMS if ctx.protocol_version in MODERN_PROTOCOL_VERSIONS else RESOURCE_NOT_FOUND
    )
    return MCPError(code, f"Resource not found: {uri}", data={"uri": uri})


async def read_resource(ctx: Ctx, params: t.ReadResourceRequestParams) -> dict[str, Any]:
    info = _info(ctx)
    uri = str(params.uri)
    server = info.view.resource_owner(uri)
    if server is None:
        raise _not_found(ctx, uri)
    if server == builtin_items.BUILTIN:
        resource = builtin_items.enabled_resource(info.hub.config.resources.values(), uri)
        if resource is None:
            raise _not_found(ctx, uri)
        return _complete(ctx, builtin_items.read_resource(resource))
    try:
        result = await _upstream(info, "read_resource", server, uri=uri)
    except UpstreamError as exc:
        raise MCPError(t.INTERNAL_ERROR, exc.message) from None
    return _complete(ctx, result)


async def subscribe(ctx: Ctx, params: t.SubscribeRequestParams) -> dict[str, Any]:
    info = _info(ctx)
    uri = str(params.uri)
    server = info.view.resource_owner(uri)
    if server is None:
        raise _not_found(ctx, uri)
    try:
        if server != builtin_items.BUILTIN:  # a built-in changes only through the hub's config
            await _upstream(info, "subscribe_resource", server, uri=uri)
    except UpstreamError as exc:
        raise MCPError(t.INTERNAL_ERROR, exc.message) from None
    if info.session is not None:
        info.session.subscriptions.add(uri)
    return {}


async def unsubscribe(ctx: Ctx, params: t.UnsubscribeRequestParams) -> dict[str, Any]:
    """Stop relaying updates to this session; the upstream is unsubscribed once no session
    wants the URI any more (the upstream subscription is shared)."""
    info = _info(ctx)
    uri = str(params.uri)
    if info.session is not None:
        info.session.subscriptions.discard(uri)
    server = info.view.resource_owner(uri)
    if server is None or server == builtin_items.BUILTIN or info.subscribed(server, uri):
        return {}
    try:
        await _upstream(info, "unsubscribe_resource", server, uri=uri)
    except (UpstreamError, MCPError) as exc:
        log.debug("Unsubscribing %s from %s failed: %s", uri, server, exc)
    return {}


async def complete(ctx: Ctx, params: t.CompleteRequestParams) -> dict[str, Any]:
    info = _info(ctx)
    ref = params.ref.model_dump(by_alias=True, exclude_none=True)
    if ref.get("type") == "ref/prompt":
        target = info.view.prompt(str(ref.get("name")))
        if target is None:
            raise MCPError(t.INVALID_PARAMS, f"Unknown prompt: {ref.get('name')}")
        server, ref["name"] = target
    else:
        uri = str(ref.get("uri"))
        server_or_none = info.view.resource_owner(uri)
        if server_or_none is None:
            server_or_none = next(
                (s for s, tpl in info.view.template_owners if str(tpl) == uri), None
            )
        if server_or_none is None:
            raise _not_found(ctx, uri)
        server = server_or_none
    if server == builtin_items.BUILTIN:  # built-in arguments offer no completions
        return {"completion": {"values": [], "total": 0, "hasMore": False}}
    context = (
        params.context.model_dump(by_alias=True, exclude_none=True) if params.context else None
    )
    try:
        result = await _upstream(
            info,
            "complete",
            server,
            ref=ref,
            argument=params.argument.model_dump(by_alias=True, exclude_none=True),
            context=context,
        )
    except UpstreamError as exc:
        raise MCPError(t.INTERNAL_ERROR, exc.message) from None
    return _complete(ctx, result)


async def set_level(ctx: Ctx, params: t.SetLevelRequestParams) -> dict[str, Any]:
    info = _info(ctx)
    if info.session is not None:
        info.session.log_level = params.level
    return {}


# ---------------------------------------------------------------------- server


def wire(handler: Callable[..., Awaitable[dict[str, Any]]]) -> Any:
    """A handler that answers wire-form dicts (sent as they are, unknown fields included,
    with no model round trip), typed as the SDK's model-returning kind."""
    return handler


def build_server(listen: Any) -> tuple[Server[Any], InitializationOptions]:
    """The hub's one SDK server (scope lives in each request) and its handshake options."""
    server: Server[Any] = Server(
        "mcphub",
        version=__version__,
        # Views depend on who asks and change with config: private, and always revalidate.
        cache_hints={method: CacheHint(0, "private") for method in CACHEABLE_METHODS},  # type: ignore[misc]
        on_list_tools=wire(_list),
        on_call_tool=wire(call_tool),
        on_list_prompts=wire(_list),
        on_get_prompt=wire(get_prompt),
        on_list_resources=wire(_list),
        on_list_resource_templates=wire(_list),
        on_read_resource=wire(read_resource),
        on_subscribe_resource=wire(subscribe),
        on_unsubscribe_resource=wire(unsubscribe),
        on_completion=wire(complete),
        on_subscriptions_listen=listen,
    )
    # Registered directly: the constructor argument warns that logging is deprecated at 2026.
    server.add_request_handler("logging/setLevel", t.SetLevelRequestParams, set_level)
    # The default OpenTelemetry middleware costs ~0.1-0.2 ms per request with no exporter.
    server.middleware[:] = [list_cache]
    options = server.create_initialization_options(
        NotificationOptions(prompts_changed=True, resources_changed=True, tools_changed=True)
    )
    return server, options


def tool_schema(view: View, name: str) -> Mapping[str, Any] | None:
    schema = view.tool_schema(name)
    return schema if isinstance(schema, Mapping) else None
