"""A Hub behind a Tornado HTTP server: the route table, the Tornado application, and the
listening server that ``mcphub serve`` and the test kit run."""

from __future__ import annotations

import errno
import importlib
import logging
import os
import re
import socket
from collections.abc import Callable
from typing import Any

import tornado.netutil
import tornado.web

from hub import logs
from hub.api.base import NotFoundHandler
from hub.app import Hub, HubOptions
from hub.auth.principal import Policy
from hub.errors import StartupError
from hub.http.server import HttpServer
from hub.mcp.routes import first_handlers
from hub.mcp.session_post import McpFirstRouter

log = logging.getLogger(__name__)

HANDLER_MODULES = (
    "hub.api.health",
    "hub.api.auth",
    "hub.api.servers",
    "hub.api.items",
    "hub.api.settings",
    "hub.api.logs",
    "hub.api.api_spec",
    "hub.api.users",
    "hub.api.keys",
    "hub.api.groups",
    "hub.api.templates",
    "hub.api.plugins",
    "hub.api.tool_server",
    "hub.api.builtin_items",
    "hub.api.oauth_clients",
    "hub.api.smart_routing",
    "hub.api.activities",
    "hub.mcp.routes",
    "hub.api.market",
    "hub.api.registry",
    "hub.api.cloud",
    "hub.api.mcpb",
    "hub.api.tool_pins",
)
"""Core route tables, each module ending in ``default_handlers``; the fallback 404 is last.
The MCP routes' ``first_handlers`` precede them all (``hub.mcp.routes``)."""

ROOT_ROUTES = ("/health", "/oauth/", "/.well-known/")
"""Routes MCPHub serves at the root even when ``BASE_PATH`` is set."""


def _module_routes(name: str) -> list[Any]:
    return list(importlib.import_module(name).default_handlers)


def collect_routes(hub: Hub) -> list[tuple[str, type[tornado.web.RequestHandler], dict[str, Any]]]:
    """Core and plugin routes, prefixed with BASE_PATH where MCPHub prefixes them."""
    raw: list[tuple[str, Any, dict[str, Any]]] = []
    for route in first_handlers:
        raw.append((route[0], route[1], {}))
    for module in HANDLER_MODULES:
        for route in _module_routes(module):
            pattern, handler, *rest = route
            raw.append((pattern, handler, rest[0] if rest else {}))
    raw.extend(hub.plugins.routes(hub))
    raw.append((r"/api/.*", NotFoundHandler, {}))
    routes = []
    for pattern, handler, kwargs in raw:
        if not isinstance(getattr(handler, "policy", None), Policy | dict):
            raise TypeError(f"route {pattern} ({handler.__name__}) declares no policy")
        at_root = pattern.startswith(ROOT_ROUTES)
        prefixed = pattern if at_root else hub.base_path + pattern
        routes.append((prefixed, handler, {"hub": hub, **kwargs}))
    return routes


def make_app(hub: Hub) -> tornado.web.Application:
    """The Tornado application serving ``hub``; its route table is kept as ``hub.routes``."""
    hub.routes = collect_routes(hub)
    log_function: Callable[[tornado.web.RequestHandler], None] = _log_request
    plugins = hub.plugins
    if any(map(plugins.has_impl, ("request_finished", "requests_finished", "requests_counted"))):
        log_function = _observed(hub, route_templates(hub.routes))
    return tornado.web.Application(
        hub.routes,
        default_handler_class=NotFoundHandler,
        default_handler_args={"hub": hub},
        compress_response=False,
        log_function=log_function,
    )


_UNNAMED = re.compile(r"\((?!\?)[^()]*\)")
_GROUP = re.compile(r"\(\?P<(\w+)>[^()]*(?:\([^()]*\)[^()]*)*\)")


def template(pattern: str) -> str:
    """A route pattern as a label: named groups as ``{name}``, regex escapes undone."""
    text = _GROUP.sub(lambda m: "{" + m.group(1) + "}", pattern)
    text = _UNNAMED.sub("{segment}", text).replace(".*", "{path}").replace("/?", "")
    return text.replace("\\", "").removesuffix("$") or "/"


def route_templates(
    routes: list[tuple[str, type[tornado.web.RequestHandler], dict[str, Any]]],
) -> dict[type[tornado.web.RequestHandler], list[tuple[re.Pattern[str], str]]]:
    """For each handler class, its patterns (compiled) and their templates; the fallback
    404 handler has none (its requests are ``unmatched``)."""
    out: dict[type[tornado.web.RequestHandler], list[tuple[re.Pattern[str], str]]] = {}
    for pattern, handler, _ in routes:
        if handler is NotFoundHandler:
            continue  # any path at all: ``unmatched``
        out.setdefault(handler, []).append((re.compile(pattern + "$"), template(pattern)))
    return out


def _observed(
    hub: Hub, templates: dict[type[tornado.web.RequestHandler], list[tuple[re.Pattern[str], str]]]
) -> Callable[[tornado.web.RequestHandler], None]:
    """The access-log function that also tells the request observers (which plugins
    implement them is settled: none can register once the hub runs)."""
    seen: dict[tuple[type, str], str] = {}
    """Route templates of recent (class, path) pairs: the same few paths carry most
    requests, and matching a class's patterns again each time is wasted work."""

    def route_of(cls: type, path: str) -> str:
        route = seen.get((cls, path))
        if route is not None:
            return route
        # ``SessionPost`` answers below Tornado's handlers and names the route's class.
        candidates = templates.get(getattr(cls, "handler_class", None) or cls)
        if candidates is None:
            route = "unmatched"
        elif len(candidates) == 1:
            route = candidates[0][1]
        else:
            route = next((t for p, t in candidates if p.match(path)), candidates[0][1])
        if len(seen) >= 1024:
            seen.clear()
        seen[cls, path] = route
        return route

    observing = hub.plugins.observing
    at_once = observing.has_impl("request_finished")
    note = observing.request_notes(hub, route_of)

    def log_request(handler: tornado.web.RequestHandler) -> None:
        _log_request(handler)
        if at_once:
            observing.request_finished(hub, handler, route_of(type(handler), handler.request.path))
        if note is not None:
            note(handler)

    return log_request


def _log_request(handler: tornado.web.RequestHandler) -> None:
    status = handler.get_status()
    level = logging.INFO if status < 400 else logging.WARNING if status < 500 else logging.ERROR
    request = handler.request
    # The path only: query strings may carry ?token=.
    ms = 1000.0 * request.request_time()
    logs.access(level, f"{status} {request.method} {request.path} {ms:.1f}ms")


def trust_proxy() -> bool:
    """``TRUST_PROXY=true`` (MCPHub's variable): the client address and scheme come from the
    nearest proxy's ``X-Forwarded-For``/``X-Real-Ip`` and ``X-Forwarded-Proto``, so rate
    limits and lockouts count per client rather than per proxy. Only behind a proxy that
    sets them: anyone else could claim any address."""
    return os.environ.get("TRUST_PROXY", "").lower() == "true"


MAX_BODY = 64 * 1024 * 1024
"""Tornado's own ceiling; the per-route limit (``routing.jsonBodyLimit``) is checked later."""


def bind(host: str, port: int) -> list[socket.socket]:
    """Listening sockets for ``host:port``; ``StartupError`` in one line when it is taken."""
    try:
        return tornado.netutil.bind_sockets(port, host)
    except OSError as exc:
        reason = "address already in use" if exc.errno == errno.EADDRINUSE else exc.strerror
        where = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
        raise StartupError(f"cannot listen on {where}: {reason or exc}") from exc


class HubServer:
    """Starts the hub, then listens; stops listening, then stops the hub."""

    def __init__(self, options: HubOptions, hub: Hub | None = None) -> None:
        self.hub = hub or Hub(options)
        self.http: HttpServer | None = None
        self.sockets: list[socket.socket] = []

    @property
    def address(self) -> str:
        host, port = self.sockets[0].getsockname()[:2]
        return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"

    @property
    def port(self) -> int:
        return int(self.sockets[0].getsockname()[1])

    async def start(self) -> None:
        """Bind the port first, so a busy port fails before anything is created (the first
        admin and its one-time password included); then start the hub and serve."""
        opts = self.hub.options
        self.sockets = bind(opts.host, opts.port)
        try:
            await self.hub.start()
        except BaseException:
            await self.hub.stop()  # close what was opened, so the process can exit
            for sock in self.sockets:
                sock.close()
            self.sockets = []
            raise
        self.http = HttpServer(
            McpFirstRouter(self.hub, make_app(self.hub)),
            max_body_size=MAX_BODY,
            xheaders=trust_proxy(),
            idle_timeout=75,
        )
        await self.http.add_sockets(self.sockets)

    async def stop(self) -> None:
        if self.http is not None:
            self.http.stop()
            await self.http.close_all_connections()
            self.http = None
        await self.hub.stop()
