"""The hub's MCP endpoint state: the SDK server, live sessions, listen streams, fan-out.

One per hub, created on first use. It turns catalog changes into ``list_changed``
notifications for exactly the sessions whose view changed, and upstream
``resource_updated`` events into ``notifications/resources/updated`` for subscribers.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

import mcp_types as t
from mcp.shared.subscriptions import (
    SUBSCRIPTION_ID_META_KEY,
    PromptsListChanged,
    ResourcesListChanged,
    ResourceUpdated,
    ServerEvent,
    ToolsListChanged,
    event_matches,
    event_to_notification,
)

from hub.auth.principal import Principal
from hub.config.events import ChangeEvent, Kind
from hub.config.shared import SESSIONS_COLLECTION, session_registry
from hub.mcp.catalog import Catalog, Scope, View
from hub.mcp.input_required import Bridge
from hub.mcp.method_handlers import CallInfo, build_server
from hub.mcp.route_access import Route, principal_key, scope_for
from hub.mcp.session_table import SessionCapReached, Sessions
from hub.mcp.sessions import HubSession, notification

if TYPE_CHECKING:
    from hub.app import Hub

log = logging.getLogger(__name__)

LIST_CHANGED = {
    "tools": "notifications/tools/list_changed",
    "prompts": "notifications/prompts/list_changed",
    "resources": "notifications/resources/list_changed",
    "resource_templates": "notifications/resources/list_changed",
}
LISTEN_EVENTS: dict[str, ServerEvent] = {
    "tools": ToolsListChanged(),
    "prompts": PromptsListChanged(),
    "resources": ResourcesListChanged(),
    "resource_templates": ResourcesListChanged(),
}


@dataclass(eq=False)
class ListenStream:
    """One open 2026 ``subscriptions/listen`` stream."""

    route: Route
    principal: Principal | None
    scope: Scope
    view: View
    filter: t.SubscriptionFilter
    queue: asyncio.Queue[ServerEvent | None] = field(default_factory=lambda: asyncio.Queue(1024))

    def offer(self, event: ServerEvent) -> None:
        uris = frozenset(self.filter.resource_subscriptions or ())
        if event_matches(self.filter, uris, event):
            try:
                self.queue.put_nowait(event)
            except asyncio.QueueFull:
                log.warning("Listen stream backlog full; dropping an event")


class McpEndpoint:
    def __init__(self, hub: Hub) -> None:
        self.hub = hub
        self.catalog: Catalog = hub.catalog
        self.server, self.options = build_server(self.listen)
        self.sessions = Sessions(lambda: hub.config.system.sessions)
        self.listeners: set[ListenStream] = set()
        self.bridge = Bridge()
        self._scheduled = False
        self._unsubscribe = [
            self.catalog.on_change(self._changed),
            hub.bus.subscribe(self._on_event),
        ]

    def close(self) -> None:
        for unsubscribe in self._unsubscribe:
            unsubscribe()
        self.sessions.close_all()
        for stream in list(self.listeners):
            stream.queue.put_nowait(None)
        for call in list(self.bridge.calls.values()):
            self.bridge.drop(call)

    # ------------------------------------------------------------------ sessions

    def view(self, route: Route, principal: Principal | None) -> tuple[Scope, View]:
        scope = scope_for(self.hub, route, principal)
        return scope, self.catalog.view(scope)

    def new_session(
        self,
        route: Route,
        principal: Principal | None,
        *,
        session_id: str | None = None,
        legacy_sse: bool = False,
        client: str | None = None,
    ) -> HubSession:
        """A new session, counted against its caller's cap (``client``, the remote address,
        stands for the caller when there are no credentials); ``SessionCapReached`` when
        there is no room."""
        scope, view = self.view(route, principal)
        session = HubSession(
            self.server,
            self.options,
            owner=principal_key(principal),
            principal=principal,
            route=route,
            scope=scope,
            session_id=session_id,
            legacy_sse=legacy_sse,
        )
        session.view = view
        quota = session.owner if principal is not None else f"anonymous@{client or ''}"
        self.sessions.add(session, quota)
        return session

    def find_session(
        self, session_id: str, route: Route, principal: Principal | None
    ) -> HubSession | None:
        """The caller's own session on this route; None for anyone else's (no leak)."""
        session = self.sessions.get(session_id)
        if session is None or session.owner != principal_key(principal):
            return None
        if session.route != route:
            return None
        session.touch()
        return session

    def rebuild(
        self, session_id: str, route: Route, principal: Principal | None, version: str | None
    ) -> HubSession | None:
        """Re-create a lost session under its id, already initialised (enableSessionRebuild)."""
        if not self.hub.config.system.enable_session_rebuild or self.sessions.get(session_id):
            return None
        if len(session_id) > 128 or not session_id.isprintable():
            return None
        try:
            session = self.new_session(route, principal, session_id=session_id)
        except SessionCapReached:
            return None
        connection = session.connection
        if version:
            connection.protocol_version = version
        connection.initialized.set()
        log.info("Rebuilt MCP session %s", session_id[:8])
        return session

    # ------------------------------------------------------------------ across instances

    async def share(self, session: HubSession, version: str | None) -> None:
        """Record a new session in the shared store (with ``enableSessionRebuild`` and a
        store that keeps sessions), so any instance can continue it."""
        registry = session_registry(self.hub.store)
        if registry is None or not self.hub.config.system.enable_session_rebuild:
            return
        record = {"owner": session.owner, "route": asdict(session.route), "version": version}
        await registry.put_session(session.id, record)

    async def continue_session(
        self, session_id: str, route: Route, principal: Principal | None, version: str | None
    ) -> HubSession | None:
        """A session unknown here: rebuild it when ``enableSessionRebuild`` allows. With a
        shared store only a session some instance opened, for the same caller and route, is
        rebuilt (with the version it negotiated); without one, any id (MCPHub's way)."""
        registry = session_registry(self.hub.store)
        if registry is None or not self.hub.config.system.enable_session_rebuild:
            return self.rebuild(session_id, route, principal, version)
        record = await registry.get_session(session_id)
        if record is None or record.get("owner") != principal_key(principal):
            return None
        if record.get("route") != asdict(route):
            return None
        return self.rebuild(session_id, route, principal, version or record.get("version"))

    async def forget(self, session_id: str) -> None:
        """The client ended a session: no instance continues it any more."""
        self.sessions.remove(session_id)
        registry = session_registry(self.hub.store)
        if registry is not None:
            await registry.delete_session(session_id)

    def call_info(
        self,
        route: Route,
        principal: Principal | None,
        downstream: Any,
        session: HubSession | None = None,
    ) -> CallInfo:
        scope, view = self.view(route, principal)
        if session is not None:
            session.scope = scope
        return CallInfo(
            self.hub, view, principal, route.group, downstream, session, subscribed=self.subscribed
        )

    def subscribed(self, server: str, uri: str) -> bool:
        """Whether a live session still wants updates of ``uri`` from ``server``."""
        return any(
            uri in s.subscriptions and server in s.scope.servers and not s.closed
            for s in self.sessions
        )

    # ------------------------------------------------------------------ fan-out

    def _changed(self) -> None:
        if not self._scheduled:
            self._scheduled = True
            asyncio.get_running_loop().call_soon(self._broadcast)

    def _broadcast(self) -> None:
        self._scheduled = False
        for session in self.sessions:
            if session.closed or not session.connection.initialize_accepted:
                continue
            session.scope = scope_for(self.hub, session.route, session.principal)
            view = self.catalog.view(session.scope)
            methods = {LIST_CHANGED[kind] for kind in view.differs(session.view)}
            session.view = view
            for method in sorted(methods):
                session.push(notification(method, None))
        for stream in list(self.listeners):
            stream.scope = scope_for(self.hub, stream.route, stream.principal)
            view = self.catalog.view(stream.scope)
            events = {LISTEN_EVENTS[kind] for kind in view.differs(stream.view)}
            stream.view = view
            for event in events:
                stream.offer(event)

    def _on_event(self, event: ChangeEvent) -> None:
        if event.kind == Kind.STORED and event.detail.get("collection") == SESSIONS_COLLECTION:
            if event.action == "delete" and event.record:
                self.sessions.remove(event.record)  # ended on another instance
            return
        if event.kind != Kind.RESOURCE_UPDATED:
            return
        server, uri = event.record, event.detail.get("uri")
        if not isinstance(uri, str):
            return
        for session in self.sessions:
            if uri in session.subscriptions and server in session.scope.servers:
                session.push(notification("notifications/resources/updated", {"uri": uri}))
        for stream in self.listeners:
            if server in stream.scope.servers:
                stream.offer(ResourceUpdated(uri))

    # ------------------------------------------------------------------ 2026 listen

    async def listen(self, ctx: Any, params: t.SubscriptionsListenRequestParams) -> Any:
        """``subscriptions/listen``: acknowledge, then relay matching events until the caller leaves."""
        info = ctx.request
        if not isinstance(info, CallInfo) or ctx.request_id is None:
            from mcp.shared.exceptions import MCPError

            raise MCPError(t.INVALID_REQUEST, "subscriptions/listen needs a request")
        requested = params.notifications
        honored = t.SubscriptionFilter(
            tools_list_changed=True if requested.tools_list_changed else None,
            prompts_list_changed=True if requested.prompts_list_changed else None,
            resources_list_changed=True if requested.resources_list_changed else None,
            resource_subscriptions=list(requested.resource_subscriptions)
            if requested.resource_subscriptions
            else None,
        )
        route: Route = info.listen["route"]
        stream = ListenStream(route, info.principal, info.listen["scope"], info.view, honored)
        meta: dict[str, Any] = {SUBSCRIPTION_ID_META_KEY: ctx.request_id}
        self.listeners.add(stream)
        try:
            await ctx.session.send_notification(
                t.SubscriptionsAcknowledgedNotification(
                    params=t.SubscriptionsAcknowledgedNotificationParams(
                        notifications=honored, _meta=meta
                    )
                ),
                related_request_id=ctx.request_id,
            )
            while (event := await stream.queue.get()) is not None:
                await ctx.session.send_notification(
                    event_to_notification(event, meta), related_request_id=ctx.request_id
                )
        finally:
            self.listeners.discard(stream)
        return t.SubscriptionsListenResult(_meta=meta)
