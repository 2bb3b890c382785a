"""One upstream: the task that owns its SDK session, its cached lists and its calls.

Only the owner task enters and leaves the transport and ``ClientSession`` contexts (they
hold anyio task groups, which must exit in the task that entered them); any other task
calls through ``request`` concurrently. A lost connection is noticed from the read stream
ending, a failed keep-alive ping (``hub.upstream.keepalive``) or a "session terminated"
answer, and the owner reconnects with exponential backoff and jitter.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import itertools
import logging
import math
import time
from typing import TYPE_CHECKING, Any, Protocol, Self

import anyio
import mcp.types as t
from mcp import ClientSession
from mcp.shared.exceptions import MCPError
from pydantic import ValidationError

from hub import __version__
from hub.config.events import Kind
from hub.errors import BadRequest, UpstreamError
from hub.upstream import forwarded, keepalive, modern, oauth_flow
from hub.upstream.calls import current_downstream
from hub.upstream.correlation import Tap
from hub.upstream.direct import DirectLink, Linked
from hub.upstream.forwarded import session_gone
from hub.upstream.keepalive import ping_until_woken
from hub.upstream.lists import CHANGED, LISTS, WIRE, RawRequest, list_all, list_pages
from hub.upstream.modern import speaks_2026
from hub.upstream.policy import egress_guarded, expansion_policy
from hub.upstream.reconnect import backoff, connect_slot
from hub.upstream.relay import Relay
from hub.upstream.state import Status
from hub.upstream.transport import AuthRequired, Target, Transport, one_line

if TYPE_CHECKING:
    from hub.app import Hub
    from hub.config.models import ServerConfig
    from hub.upstream.state import UpstreamState

log = logging.getLogger(__name__)


class UpstreamManager(Protocol):
    """What an upstream asks of the manager that owns it (``hub.upstream.manager``)."""

    hub: Hub
    connect_slots: asyncio.Semaphore

    def state(self, name: str) -> UpstreamState: ...
    def transport(self, config: ServerConfig) -> Transport: ...
    def set_state(self, upstream: Upstream, what: tuple[str, ...], **changes: Any) -> None: ...


CONNECT_TIMEOUT = 120.0
"""Seconds for spawn/connect + initialize + the first listing (an ``npx`` first run downloads)."""
STABLE_AFTER = 30.0
"""A connection that lasted this long resets the backoff."""
CLOSE_TIMEOUT = 10.0


class _Watched:
    """A read stream that reports its end (the transport closed) to the owner."""

    def __init__(self, inner: Any, on_end: Any) -> None:
        self._inner = inner
        self._on_end = on_end

    @property
    def last_context(self) -> Any:
        # The SDK reads the sender's contextvars from here (passthrough, sampling routing).
        return getattr(self._inner, "last_context", None)

    async def receive(self) -> Any:
        try:
            return await self._inner.receive()
        except (anyio.EndOfStream, anyio.ClosedResourceError):
            self._on_end()
            raise

    def __aiter__(self) -> _Watched:
        return self

    async def __anext__(self) -> Any:
        try:
            return await self.receive()
        except anyio.EndOfStream:
            raise StopAsyncIteration from None

    async def aclose(self) -> None:
        await self._inner.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()


class Upstream:
    """A connection to one upstream server, kept alive by its owner task."""

    def __init__(self, manager: UpstreamManager, name: str, config: ServerConfig) -> None:
        self.manager = manager
        self.name = name
        self.config = config
        self.session: ClientSession | None = None
        self.direct: DirectLink | None = None
        """The transport's direct link (``hub.upstream.direct``) while connected, if it has one."""
        self._link: DirectLink | None = None
        self.direct_ids = itertools.count(1)
        self.relay = Relay(name)
        self.failures = 0
        self._task: asyncio.Task[None] | None = None
        self._stop = asyncio.Event()
        self._wake = asyncio.Event()
        self._ready = asyncio.Event()
        self._scope: anyio.CancelScope | None = None
        self._lost: str | None = None
        self._refresh: dict[str, asyncio.Task[None]] = {}

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> None:
        self._set(("status",), status=Status.CONNECTING, error=None)
        self._task = asyncio.get_running_loop().create_task(
            self._run(), name=f"upstream:{self.name}"
        )

    async def close(self) -> None:
        """Stop the owner task; returns once the transport (and any process) is gone."""
        self._stop.set()
        self._wake.set()
        if self.session is None and self._scope is not None:
            self._scope.cancel()  # still connecting: abandon the attempt
        for refresh in self._refresh.values():
            refresh.cancel()
        task = self._task
        if task is None or task.done():
            return
        try:
            await asyncio.wait_for(asyncio.shield(task), CLOSE_TIMEOUT)
        except TimeoutError:
            log.warning("Upstream %s did not close in %ss; cancelling it", self.name, CLOSE_TIMEOUT)
            task.cancel()
            with contextlib.suppress(BaseException):
                await task

    def lost(self, reason: str) -> None:
        """The connection is gone (called from any task): show it at once, wake the owner."""
        if self._stop.is_set() or self._wake.is_set():
            return
        self._lost = reason
        self._ready.clear()
        self._wake.set()
        self._set(("status",), status=Status.DISCONNECTED, error=reason)

    def _set(self, what: tuple[str, ...], **changes: Any) -> None:
        self.manager.set_state(self, what, **changes)

    async def _run(self) -> None:
        try:
            transport = self.manager.transport(self.config)
        except BadRequest as exc:
            self._set(("status",), status=Status.DISCONNECTED, error=exc.message)
            return
        while not self._stop.is_set():
            status, error = await self._connect_once(transport)
            if self._stop.is_set():
                break
            self.failures += 1
            delay = backoff(self.failures)
            log.warning("Upstream %s: %s; retrying in %.1fs", self.name, error, delay)
            self._set(("status",), status=status, error=error, oauth=None)
            with anyio.move_on_after(delay):
                await self._stop.wait()

    async def _connect_once(self, transport: Transport) -> tuple[Status, str]:
        """One connection from spawn to loss; returns the status and error to show after it."""
        self._wake = asyncio.Event()
        self._lost = None
        self._set(("status",), status=Status.CONNECTING)
        connected_at: float | None = None
        hub = self.manager.hub
        target = Target(
            self.name,
            self.config,
            hub.config.system,
            expansion_policy(hub, self.config),
            lost=self.lost,
            guard_egress=egress_guarded(hub, self.config),
            authorize=functools.partial(oauth_flow.authorize, self),
            save_oauth=functools.partial(oauth_flow.save, self),
        )
        try:
            with anyio.CancelScope() as scope:
                self._scope = scope
                async with contextlib.AsyncExitStack() as stack:
                    async with connect_slot(self.manager.connect_slots):
                        scope.deadline = anyio.current_time() + CONNECT_TIMEOUT
                        opened = await stack.enter_async_context(transport.open(target))
                        session = await self._session(stack, opened)
                        init = await modern.negotiate(session, self.config)
                        link = None if speaks_2026(session) else self._link
                        if link is not None:  # the direct link speaks the 2025 wire only
                            link.start(
                                init.protocol_version, functools.partial(forwarded.log, self)
                            )
                        lists = await list_all(session, init.capabilities)
                        scope.deadline = math.inf
                    self.session = session
                    self.direct = link
                    self._ready.set()
                    connected_at = time.monotonic()
                    self._connected(init, lists)
                    await self._serve(session, keepalive.interval(self.config, transport))
                    self.session = self.direct = None
            if scope.cancelled_caught and connected_at is None:
                return Status.DISCONNECTED, f"connect timed out after {CONNECT_TIMEOUT:g}s"
            return Status.DISCONNECTED, self._lost or "connection closed"
        except AuthRequired as exc:
            return Status.OAUTH_REQUIRED, one_line(exc)
        except Exception as exc:
            if self._lost is None:
                log.debug("Upstream %s failed", self.name, exc_info=True)
            return Status.DISCONNECTED, self._lost or one_line(exc)
        finally:
            self.session = None
            self.direct = self._link = None
            self._ready.clear()
            self._scope = None
            if connected_at is not None and time.monotonic() - connected_at >= STABLE_AFTER:
                self.failures = 0

    async def _session(self, stack: contextlib.AsyncExitStack, opened: Any) -> ClientSession:
        if isinstance(opened, ClientSession):
            return opened
        if isinstance(opened, Linked):
            read, write, self._link = opened
        else:
            read, write = opened
            self._link = None
        relay = self.relay
        session = ClientSession(
            _Watched(read, lambda: self.lost(self._lost or "connection closed")),
            Tap(write, relay.sent),
            # The relay answers with the downstream client's own result models (which the SDK
            # accepts), a wider union than the callback protocols name.
            sampling_callback=relay.sampling,  # type: ignore[arg-type]
            elicitation_callback=relay.elicitation,  # type: ignore[arg-type]
            list_roots_callback=relay.roots,  # type: ignore[arg-type]
            logging_callback=relay.logging,
            message_handler=self._on_message,
            client_info=t.Implementation(name="mcphub", version=__version__),
        )
        return await stack.enter_async_context(session)

    async def _serve(self, session: ClientSession, every: float | None) -> None:
        """Wait until the connection is lost or closed, pinging meanwhile (``keepalive``)."""
        async with modern.watching(session, self.name, self._on_message):
            await ping_until_woken(every, self._wake, modern.liveness(session), self.lost)

    # ------------------------------------------------------------------ lists

    def _connected(self, init: t.InitializeResult, lists: dict[str, list[dict[str, Any]]]) -> None:
        state = self.manager.state(self.name)
        changed = {ev for (_, _, attr, _, ev) in LISTS if getattr(state, attr) != lists[attr]}
        self._set(
            ("status", *sorted(changed)),
            status=Status.CONNECTED,
            error=None,
            oauth=None,
            server_info=init.server_info.model_dump(by_alias=True, mode="json", exclude_none=True),
            capabilities=init.capabilities.model_dump(
                by_alias=True, mode="json", exclude_none=True
            ),
            instructions=init.instructions,
            **lists,
        )
        log.info("Upstream %s connected (%d tools)", self.name, len(lists["tools"]))

    async def _on_message(self, message: Any) -> None:
        if isinstance(message, Exception):
            log.debug("Upstream %s transport error: %s", self.name, one_line(message))
            return
        kinds = CHANGED.get(type(message))
        if kinds:
            for attr in kinds:
                self._schedule_refresh(attr)
        elif isinstance(message, t.ResourceUpdatedNotification):
            bus = self.manager.hub.bus
            bus.publish(Kind.RESOURCE_UPDATED, self.name, uri=str(message.params.uri))

    def _schedule_refresh(self, attr: str) -> None:
        running = self._refresh.get(attr)
        if running is not None and not running.done():
            running.cancel()  # a newer change supersedes the listing in flight
        task = asyncio.get_running_loop().create_task(self._refresh_list(attr))
        self._refresh[attr] = task

    async def _refresh_list(self, attr: str) -> None:
        session = self.session
        if session is None:
            return
        method, key, _, _, event = next(x for x in LISTS if x[2] == attr)
        try:
            items = await asyncio.wait_for(list_pages(session, method, key), CONNECT_TIMEOUT)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # noqa: BLE001 - keep the old list, say why
            log.warning("Upstream %s: re-listing %s failed: %s", self.name, key, one_line(exc))
            return
        if self.session is session and getattr(self.manager.state(self.name), attr) != items:
            self._set((event,), **{attr: items})

    # ------------------------------------------------------------------ calls

    async def request(self, method: str, params: dict[str, Any] | None) -> dict[str, Any]:
        """One request with the per-call timeout, reset on progress, capped by maxTotalTimeout."""
        session = self.session
        if session is None:
            raise UpstreamError(f"Server '{self.name}' is not connected")
        if self.direct is not None:
            return await forwarded.request(self, method, params)
        options = self.config.call_options
        timeout = options.timeout / 1000
        start = anyio.current_time()
        cap = start + options.max_total_timeout / 1000 if options.max_total_timeout else math.inf
        downstream = current_downstream.get()
        scope = anyio.CancelScope(deadline=min(start + timeout, cap))

        async def on_progress(progress: float, total: float | None, message: str | None) -> None:
            if options.reset_timeout_on_progress:
                scope.deadline = min(anyio.current_time() + timeout, cap)
            if downstream is not None:
                await downstream.progress(progress, total, message)

        token = self.relay.enter(downstream)
        request = RawRequest(method=method, params=params)
        try:
            with scope:
                if speaks_2026(session):
                    return await modern.request(session, method, params, downstream, on_progress)
                try:
                    return await session.send_request(request, WIRE, progress_callback=on_progress)  # type: ignore[type-var]
                except MCPError as exc:
                    if not session_gone(exc):
                        raise
                    self.lost("session terminated by the upstream")
                # The upstream restarted and forgot our session, so nothing ran: once it is
                # connected again (within this call's timeout), send the request there.
                session = await self.next_session(session)
                return await session.send_request(request, WIRE, progress_callback=on_progress)  # type: ignore[type-var]
            elapsed = int((anyio.current_time() - start) * 1000)
            raise UpstreamError(
                f"Request {method} to server '{self.name}' timed out after {elapsed} ms"
            )
        except MCPError as exc:
            raise self.transport_error(exc) or exc from None
        except ValidationError as exc:
            raise UpstreamError(
                f"Server '{self.name}' sent an invalid {method} result: {one_line(exc)}"
            ) from None
        finally:
            self.relay.leave(token)

    def transport_error(self, exc: MCPError) -> UpstreamError | None:
        """Errors of the connection rather than of the upstream's handler."""
        if exc.code == t.CONNECTION_CLOSED:
            self.lost("connection closed")
            return UpstreamError(f"Server '{self.name}' connection closed")
        if session_gone(exc):
            self.lost("session terminated by the upstream")
            return UpstreamError(f"Server '{self.name}' lost its session; reconnecting")
        return None

    async def next_session(self, old: ClientSession) -> ClientSession:
        while self.session is None or self.session is old:
            await self._ready.wait()
        return self.session
