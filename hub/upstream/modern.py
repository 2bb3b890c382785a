"""The 2026-07-28 wire to an upstream that speaks it, for 2026-era downstream requests.

A server with ``protocolEra: "auto"`` gets a second connection, opened when the first
2026 request for it arrives: ``server/discover`` decides, once per connection, whether it
speaks 2026-07-28. If it does, 2026 requests go there with the client's own ``_meta``
(capabilities, client info, log level), and an ``InputRequiredResult`` comes back as the
upstream wrote it (question keys, grouping, ``requestState``); the client's retry goes back
to the upstream unchanged. If it does not, the verdict is kept and the main (2025)
connection serves everything, with the hub's MRTR bridge (``hub.mcp.input_required``).

A stdio pipe speaks one era for its whole life, so the main connection stays in the 2025
handshake era (lists, list_changed, pings, 2025 callers) and this one is separate.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import anyio
import mcp.types as t
from mcp import ClientSession
from mcp.shared.exceptions import MCPError
from mcp.shared.inbound import (
    MCP_METHOD_HEADER,
    MCP_NAME_HEADER,
    MCP_PROTOCOL_VERSION_HEADER,
    NAME_BEARING_METHODS,
    encode_header_value,
)
from mcp_types import PROTOCOL_VERSION_META_KEY

from hub import __version__
from hub.errors import UpstreamError
from hub.upstream.policy import egress_guarded, expansion_policy
from hub.upstream.transport import Target, one_line

if TYPE_CHECKING:
    from hub.upstream.session import Upstream

log = logging.getLogger(__name__)

AUTO = "auto"
"""The ``protocolEra`` value that turns discovery on."""
PROBE_TIMEOUT = 30.0
"""Seconds for the second connection to open and answer ``server/discover``."""

Progress = Callable[[float, float | None, str | None], Any]


class ModernChannel:
    """The 2026 connection of one upstream, or the verdict that it has none."""

    def __init__(self, upstream: Upstream) -> None:
        self.upstream = upstream
        self.session: ClientSession | None = None
        self.version: str | None = None
        self._verdict: asyncio.Future[bool] | None = None
        self._task: asyncio.Task[None] | None = None
        self._stop = asyncio.Event()

    async def ready(self) -> ClientSession | None:
        """The 2026 session, or None when the upstream speaks only the 2025 era.

        The first caller starts the probe; everyone else awaits the same verdict.
        """
        if self._verdict is None:
            self._verdict = asyncio.get_running_loop().create_future()
            self._stop = asyncio.Event()
            self._task = asyncio.get_running_loop().create_task(
                self._run(self._verdict), name=f"upstream-2026:{self.upstream.name}"
            )
        if not await asyncio.shield(self._verdict):
            return None
        return self.session

    @property
    def speaks_2026(self) -> bool:
        """Known to speak 2026 on a live connection (no probe is started)."""
        return self.session is not None

    async def route(self, downstream: Any) -> ClientSession | None:
        """The 2026 session for this caller: only a 2026 caller (one with ``modern_meta``)
        to an upstream that speaks 2026; None sends it down the 2025 connection."""
        if getattr(downstream, "modern_meta", None) is None:
            return None
        return await self.ready()

    def _forget(self) -> None:
        """The connection ended: the next 2026 request probes again."""
        self.session = None
        self._verdict = None

    async def _run(self, verdict: asyncio.Future[bool]) -> None:
        upstream = self.upstream
        hub = upstream.manager.hub
        target = Target(
            upstream.name,
            upstream.config,
            hub.config.system,
            expansion_policy(hub, upstream.config),
            lost=lambda reason: self._stop.set(),
            guard_egress=egress_guarded(hub, upstream.config),
        )
        try:
            transport = upstream.manager.transport(upstream.config)
            # The deadline covers opening and the probe only; the contexts are entered and
            # left inside the same scope, as anyio's task groups require.
            with anyio.CancelScope() as scope:
                scope.deadline = anyio.current_time() + PROBE_TIMEOUT
                async with contextlib.AsyncExitStack() as stack:
                    opened = await stack.enter_async_context(transport.open(target))
                    if isinstance(opened, ClientSession):  # a transport with its own session
                        raise UpstreamError("this transport has no 2026 wire")
                    read, write = opened
                    session = ClientSession(
                        read,
                        write,
                        client_info=t.Implementation(name="mcphub", version=__version__),
                    )
                    await stack.enter_async_context(session)
                    await session.discover()
                    await _learn_tools(session)
                    scope.deadline = math.inf
                    self.session, self.version = session, session.protocol_version
                    log.info("Upstream %s speaks %s", upstream.name, self.version)
                    verdict.set_result(True)
                    await self._stop.wait()
            if scope.cancelled_caught and not verdict.done():
                raise TimeoutError(f"no answer to server/discover in {PROBE_TIMEOUT:g}s")
        except Exception as exc:  # noqa: BLE001 - any failure means "use the 2025 connection"
            if not verdict.done():
                log.info("Upstream %s: no 2026 wire (%s)", upstream.name, one_line(exc))
                verdict.set_result(False)
                return  # the verdict stands for this connection's life
            log.warning("Upstream %s: 2026 connection lost: %s", upstream.name, one_line(exc))
        finally:
            if not verdict.done():
                verdict.set_result(False)
            elif verdict.result() and self._verdict is verdict:
                self._forget()

    async def close(self) -> None:
        self._stop.set()
        task = self._task
        if task is not None and not task.done():
            try:
                await asyncio.wait_for(asyncio.shield(task), 10)
            except TimeoutError:
                task.cancel()
                with contextlib.suppress(BaseException):
                    await task

    async def request(
        self,
        session: ClientSession,
        method: str,
        params: dict[str, Any] | None,
        downstream: Any,
        on_progress: Progress,
    ) -> dict[str, Any]:
        """One 2026 request carrying the client's own envelope (and its answers to the
        upstream's questions); the result as the upstream wrote it (``InputRequiredResult``
        included)."""
        out = {**(params or {}), **downstream.modern_resume}
        meta = {**dict(out.get("_meta") or {}), **downstream.modern_meta}
        meta.pop("progressToken", None)  # the dispatcher sets its own (it relays progress)
        meta[PROTOCOL_VERSION_META_KEY] = self.version
        out["_meta"] = meta
        headers = {MCP_PROTOCOL_VERSION_HEADER: str(self.version), MCP_METHOD_HEADER: method}
        name_key = NAME_BEARING_METHODS.get(method)
        if name_key is not None and isinstance(name := out.get(name_key), str):
            headers[MCP_NAME_HEADER] = encode_header_value(name)
            if method == "tools/call":
                # The SDK's own x-mcp-header mapping, learnt from the tools it listed.
                headers.update(session._resolve_param_headers(name, out.get("arguments") or {}))
        opts: Any = {"headers": headers, "on_progress": on_progress}
        try:
            return await session._dispatcher.send_raw_request(method, out, opts)
        except MCPError as exc:
            if exc.code != t.CONNECTION_CLOSED:
                raise
            self._stop.set()
            raise UpstreamError(f"Server '{self.upstream.name}' 2026 connection closed") from None


async def _learn_tools(session: ClientSession) -> None:
    """List every page once, so ``x-mcp-header`` arguments get their ``Mcp-Param`` headers."""
    cursor: str | None = None
    while True:
        page = await session.list_tools(
            params=t.PaginatedRequestParams(cursor=cursor) if cursor else None
        )
        cursor = page.next_cursor
        if not cursor:
            return
