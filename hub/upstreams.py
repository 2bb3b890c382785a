"""Upstream connections: the Transport contract plugins implement, and the manager.

The manager owns the life of every upstream: connect (bounded parallelism at start),
status, cached lists, reconnect with backoff, close. One ``Upstream`` (``hub.upstream_session``)
per enabled server holds the task that owns the SDK session; the manager keeps them in step
with ``hub.config`` by listening to the bus, and routes calls to them with a dict lookup.
"""

from __future__ import annotations

import asyncio
import enum
import logging
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Protocol

from pydantic import ValidationError

from hub import egress, envexpand
from hub.errors import BadRequest, UpstreamError
from hub.settings import ServerConfig, SystemConfig

if TYPE_CHECKING:
    from hub.app import Hub
    from hub.events import Event
    from hub.upstream_session import Upstream

log = logging.getLogger(__name__)


class Status(enum.StrEnum):
    CONNECTING = "connecting"
    CONNECTED = "connected"
    DISCONNECTED = "disconnected"
    OAUTH_REQUIRED = "oauth_required"


@dataclass
class UpstreamState:
    """What the rest of the hub reads about one upstream; replaced, never mutated in place.

    The lists survive a disconnect (the catalog shows only connected upstreams anyway), so a
    brief outage does not make every downstream session re-list twice.
    """

    name: str
    status: Status = Status.DISCONNECTED
    error: str | None = None
    tools: list[dict[str, Any]] = field(default_factory=list)
    prompts: list[dict[str, Any]] = field(default_factory=list)
    resources: list[dict[str, Any]] = field(default_factory=list)
    resource_templates: list[dict[str, Any]] = field(default_factory=list)
    server_info: dict[str, Any] | None = None
    capabilities: dict[str, Any] | None = None
    instructions: str | None = None


# ---------------------------------------------------------------------- transport contract


@dataclass(frozen=True)
class Target:
    """Everything a transport needs to open one upstream; expansion policy already chosen."""

    name: str
    config: ServerConfig
    system: SystemConfig
    allowed: Callable[[str], bool]
    """Which hub environment variables ``${VAR}`` may read for this config."""
    lost: Callable[[str], None] = lambda reason: None
    """Call when the transport knows the connection is gone (e.g. the process exited)."""
    guard_egress: bool = False
    """True when the config's owner may not reach internal addresses (``hub.egress``)."""

    def http_options(self, **transport: Any) -> dict[str, Any]:
        """Keyword arguments for every ``httpx2.AsyncClient`` this upstream's transport makes
        (``transport`` holds options of the connection layer, such as ``verify``)."""
        return egress.client_options(self.guard_egress, **transport)

    def expand(self, value: Any) -> Any:
        """``${VAR}`` expansion of a config value under this target's policy."""
        return envexpand.expand(value, self.allowed)


class Transport(Protocol):
    """What a ``register_transports`` plugin registers under a kind (``stdio``, ``sse`` …).

    ``validate`` checks the transport's own fields of a config with its own pydantic model and
    raises ``ValueError`` with a one-line message. ``open`` returns an async context manager
    yielding either the ``(read_stream, write_stream)`` pair of an MCP connection (the manager
    runs the ``ClientSession`` over it) or an already initialized ``ClientSession``; leaving
    it must release everything (for a process: the whole process group). It is entered and
    left by the same task. The transport may raise ``AuthRequired`` when the upstream
    demands credentials the hub does not have.
    """

    def validate(self, config: ServerConfig) -> Any: ...

    def open(self, target: Target) -> AbstractAsyncContextManager[Any]: ...


class AuthRequired(Exception):
    """The upstream answered 401: status becomes ``oauth_required``."""


def one_line(exc: BaseException) -> str:
    """A readable one-line description of an error (no traceback), groups unwrapped."""
    while isinstance(exc, BaseExceptionGroup) and exc.exceptions:
        exc = exc.exceptions[0]
    if isinstance(exc, ValidationError):
        err = exc.errors()[0]
        loc = ".".join(str(p) for p in err.get("loc", ())) or "config"
        return f"{loc}: {err.get('msg', 'invalid')}"
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    name = type(exc).__name__
    return f"{name}: {text}" if text and name not in text else text or name


def admin_owned(hub: Hub, config: ServerConfig) -> bool:
    """Owner None (MCPHub's default, ``admin``) or a user who is an admin."""
    if config.owner is None:
        return True
    user = hub.config.users.get(config.owner)
    return user is not None and user.is_admin


def expansion_policy(hub: Hub, config: ServerConfig) -> Callable[[str], bool]:
    """Admin-owned configs expand the allowed names; others nothing."""
    if not admin_owned(hub, config):
        return envexpand.deny_all
    return envexpand.allow_list_policy(hub.config.system.env_expansion.allow)


def egress_guarded(hub: Hub, config: ServerConfig) -> bool:
    """Configs of normal users may not dial internal addresses unless an admin allowed it."""
    return not admin_owned(hub, config) and not hub.config.system.egress.allow_internal


RESTART_IGNORES = frozenset({"description", "tools", "prompts", "resources", "options"})
"""Config keys read per call or per view, not at connect time: no reconnect for them."""


def connection_key(config: ServerConfig) -> dict[str, Any]:
    return {k: v for k, v in config.wire().items() if k not in RESTART_IGNORES}


# ---------------------------------------------------------------------- manager


class UpstreamManager:
    """Keeps one upstream per enabled server config, in step with ``hub.config``.

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
    - the downstream caller is found through ``hub.calls.current_downstream`` (a ContextVar)
      for progress, server->client requests (sampling, elicitation, roots) and passthrough
      headers;
    - ``validate(config)`` raises ``BadRequest`` with the transport's one-line complaint.
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

    def validate(self, config: ServerConfig) -> None:
        """Raise ``BadRequest`` if no transport accepts the config (one readable line)."""
        kind = config.inferred_type()
        transport = self.hub.transports.get(kind) if kind else None
        if transport is None:
            known = ", ".join(sorted(self.hub.transports)) or "none"
            raise BadRequest(f"Unknown server type {kind!r} (available: {known})")
        try:
            transport.validate(config)
        except (ValueError, ValidationError) as exc:
            raise BadRequest(one_line(exc)) from None

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
            self.hub.bus.publish("upstream", name=name, what=item)

    # ------------------------------------------------------------------ config sync

    def _on_event(self, event: Event) -> None:
        kind = event.get("kind")
        if kind == "servers" and event.get("name"):
            self._sync(str(event["name"]))
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
            self.hub.bus.publish("upstream", name=name, what="status")
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
        from hub.upstream_session import Upstream

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
