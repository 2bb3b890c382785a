"""Upstream connections: the Transport contract plugins implement, and the manager.

The manager owns the life of every upstream: connect (bounded parallelism at start),
status, cached lists, reconnect with backoff, close. One ``Upstream`` (``hub.upstream.session``)
per enabled server holds the task that owns the SDK session; the manager keeps them in step
with ``hub.config.live`` by listening to the bus, and routes calls to them with a dict lookup.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from hub.config.events import Kind
from hub.config.models import ServerConfig, SystemConfig
from hub.errors import UpstreamError
from hub.upstream.config_check import check
from hub.upstream.state import Status, UpstreamState
from hub.upstream.transport import Transport, Transports

if TYPE_CHECKING:
    from hub.app import Hub
    from hub.config.events import Event
    from hub.upstream.session import Upstream

log = logging.getLogger(__name__)


RESTART_IGNORES = frozenset({"description", "tools", "prompts", "resources", "options"})
"""Config keys read per call or per view, not at connect time: no reconnect for them."""


OAUTH_FLOW_KEYS = frozenset({"accessToken", "refreshToken", "expiresAt", "registeredClient"})
"""Keys of ``oauth`` the upstream OAuth flow itself writes: saving them keeps the connection."""


def connection_key(config: ServerConfig) -> dict[str, Any]:
    key = {k: v for k, v in config.wire().items() if k not in RESTART_IGNORES}
    if isinstance(key.get("oauth"), dict):
        key["oauth"] = {k: v for k, v in key["oauth"].items() if k not in OAUTH_FLOW_KEYS}
    return key


# ---------------------------------------------------------------------- manager


class UpstreamManager:
    """Keeps one upstream per enabled server config, in step with ``hub.config.live``.

    Contract for the rest of the hub:
    - it subscribes to ``servers`` events on the bus (and ``imported``/``system``) and
      connects, reconnects or closes the named upstream by itself, so the API only writes
      config; an edit that only touches descriptions or item toggles keeps the connection;
    - ``reload(name)`` closes and reconnects one upstream;
    - ``state(name)`` is an O(1) read of status, error and cached lists (wire-form dicts,
      camelCase, exactly as the upstream sent them);
    - it publishes ``upstream`` events (``name``, ``what`` in status/tools/prompts/resources)
      when a status or a cached list changes, and ``resource_updated`` events (``name``,
      ``uri``) when an upstream reports a changed resource;
    - ``call_tool``/``get_prompt``/``read_resource``/``complete``/``subscribe_resource``/
      ``unsubscribe_resource``/``request`` take the upstream's own names and return
      wire-form result dicts; they raise ``hub.errors.UpstreamError`` when the upstream is
      not connected, fails or times out (``options.timeout``, reset on progress,
      ``options.maxTotalTimeout``; the upstream then gets ``notifications/cancelled``), and
      an ``mcp.shared.exceptions.MCPError`` for a JSON-RPC error the upstream returned;
    - the downstream caller is found through ``hub.upstream.calls.current_downstream`` (a ContextVar)
      for progress, server->client requests (sampling, elicitation, roots) and passthrough
      headers;
    - ``validate(config)`` returns the config to store (kind as ``type``, the transport's
      defaults) or raises ``BadRequest`` with one readable line: the one validation path of
      the API and of every connect.
    """

    def __init__(self, hub: Hub) -> None:
        self.hub = hub
        self.states: dict[str, UpstreamState] = {}
        self.upstreams: dict[str, Upstream] = {}
        self._closing: set[asyncio.Task[None]] = set()
        self._unsubscribe: Callable[[], None] | None = None
        self._system_key: tuple[Any, ...] = ()
        self.connect_slots = asyncio.Semaphore(8)

    # ------------------------------------------------------------------ lifecycle

    async def start(self) -> None:
        """Begin connecting every enabled server in the background; returns at once."""
        system = self.hub.config.system
        self.connect_slots = asyncio.Semaphore(system.upstreams.connect_concurrency)
        self._system_key = _system_key(system)
        self._unsubscribe = self.hub.bus.subscribe(self._on_event)
        for name in list(self.hub.config.servers):
            self._sync(name)

    async def stop(self) -> None:
        """Close every upstream; no child process survives."""
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        upstreams = list(self.upstreams.values())
        self.upstreams.clear()
        await asyncio.gather(*(u.close() for u in upstreams), return_exceptions=True)
        while self._closing:
            await asyncio.gather(*list(self._closing), return_exceptions=True)
        self.states.clear()

    async def reload(self, name: str) -> None:
        """Close the named upstream (waiting for it) and connect it again."""
        old = self.upstreams.pop(name, None)
        if old is not None:
            await old.close()
        self._sync(name)

    # ------------------------------------------------------------------ reads

    def state(self, name: str) -> UpstreamState:
        return self.states.get(name) or UpstreamState(name)

    def validate(self, config: ServerConfig) -> ServerConfig:
        """The config to store: kind resolved by the transports, checked by its transport;
        ``BadRequest`` with one readable line otherwise (``hub.upstream.config_check``)."""
        return check(self.hub.transports, config)

    def transport(self, config: ServerConfig) -> Transport:
        """The transport that opens ``config``; ``BadRequest`` when it would not validate."""
        kind = self.validate(config).type
        assert kind is not None  # check() stores the kind as type
        transports: Transports = self.hub.transports
        return transports[kind]

    # ------------------------------------------------------------------ calls

    def _connected(self, name: str) -> Upstream:
        upstream = self.upstreams.get(name)
        if upstream is None or upstream.session is None:
            raise UpstreamError(f"Server '{name}' is not connected")
        return upstream

    async def request(
        self, server: str, method: str, params: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        """Send any request to an upstream; the wire result as a dict."""
        return await self._connected(server).request(method, params)

    async def call_tool(
        self,
        server: str,
        name: str,
        arguments: dict[str, Any] | None = None,
        meta: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        params: dict[str, Any] = {"name": name, "arguments": arguments or {}}
        if meta:
            params["_meta"] = meta
        return await self._connected(server).request("tools/call", params)

    async def get_prompt(
        self, server: str, name: str, arguments: dict[str, str] | None = None
    ) -> dict[str, Any]:
        params: dict[str, Any] = {"name": name}
        if arguments:
            params["arguments"] = arguments
        return await self._connected(server).request("prompts/get", params)

    async def read_resource(self, server: str, uri: str) -> dict[str, Any]:
        return await self._connected(server).request("resources/read", {"uri": uri})

    async def complete(
        self,
        server: str,
        ref: dict[str, Any],
        argument: dict[str, Any],
        context: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        params: dict[str, Any] = {"ref": ref, "argument": argument}
        if context:
            params["context"] = context
        return await self._connected(server).request("completion/complete", params)

    async def subscribe_resource(self, server: str, uri: str) -> dict[str, Any]:
        # A raw request: the SDK's typed subscribe_resource warns (deprecated at 2026-07-28).
        return await self._connected(server).request("resources/subscribe", {"uri": uri})

    async def unsubscribe_resource(self, server: str, uri: str) -> dict[str, Any]:
        return await self._connected(server).request("resources/unsubscribe", {"uri": uri})

    # ------------------------------------------------------------------ state (upstreams)

    def set_state(self, upstream: Upstream, what: tuple[str, ...], **changes: Any) -> None:
        """Replace an upstream's state and publish what changed; stale upstreams are ignored."""
        if self.upstreams.get(upstream.name) is not upstream:
            return
        self._put_state(upstream.name, what, **changes)

    def _put_state(self, name: str, what: tuple[str, ...], **changes: Any) -> None:
        self.states[name] = replace(self.state(name), **changes)
        for item in what:
            self.hub.bus.publish(Kind.UPSTREAM, name, what=item)

    # ------------------------------------------------------------------ config sync

    def _on_event(self, event: Event) -> None:
        # Kinds compare as the plain strings they are (``hub.config.events.Kind``).
        kind = event.kind
        if kind == "servers" and event.record:
            self._sync(event.record)
        elif kind == "imported":
            for name in set(self.upstreams) | set(self.states) | set(self.hub.config.servers):
                self._sync(name)
        elif kind == "system":
            system = self.hub.config.system
            self.connect_slots = asyncio.Semaphore(system.upstreams.connect_concurrency)
            key = _system_key(system)
            if key != self._system_key:
                # Spawn environments and expansion rights changed: reconnect with the new ones.
                self._system_key = key
                for name in list(self.upstreams):
                    self._retire(name)
                    self._sync(name)

    def _sync(self, name: str) -> None:
        """Bring one upstream in line with its config: start, restart, close or leave it."""
        config = self.hub.config.servers.get(name)
        current = self.upstreams.get(name)
        if config is None:
            self._retire(name)
            self.states.pop(name, None)
            self.hub.bus.publish(Kind.UPSTREAM, name, what="status")
            return
        if not config.enabled:
            self._retire(name)
            self._put_state(name, ("status",), status=Status.DISCONNECTED, error="disabled")
            self._put_state(name, ("tools", "prompts", "resources"), **_EMPTY_LISTS)
            return
        if current is not None:
            if connection_key(current.config) == connection_key(config):
                current.config = config
                return
            self._retire(name)
        from hub.upstream.session import Upstream

        upstream = Upstream(self, name, config)
        self.upstreams[name] = upstream
        upstream.start()

    def _retire(self, name: str) -> None:
        """Drop an upstream from the routing table now and close it in the background."""
        upstream = self.upstreams.pop(name, None)
        if upstream is None:
            return
        task = asyncio.get_running_loop().create_task(upstream.close(), name=f"close:{name}")
        self._closing.add(task)
        task.add_done_callback(self._closing.discard)


_EMPTY_LISTS: dict[str, Any] = {
    "tools": [],
    "prompts": [],
    "resources": [],
    "resource_templates": [],
}


def _system_key(system: SystemConfig) -> tuple[Any, ...]:
    return (system.install.wire(), system.env_expansion.wire())
