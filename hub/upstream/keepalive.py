"""Keep-alive pings: how often an upstream is pinged, and the ping loop its owner task runs.

Remote upstreams (sse, streamable HTTP) are pinged by default, so one that dies while idle is
seen within an interval instead of at the next call; a stdio child's death is seen at once
(its pipe closes), so pipes are not pinged unless asked. A transport says it wants pings by
default with a ``pings_by_default = True`` attribute (``hub.upstream.transport.Transport``).
MCPHub's per-server keys decide: ``enableKeepAlive: false`` turns pings off, ``true`` turns
them on for any kind, and ``keepAliveInterval`` (ms) sets the period. Pings run in the
owner task between calls; nothing is added to the call path.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

import anyio

from hub.upstream.transport import one_line

if TYPE_CHECKING:
    import asyncio

    from hub.config.models import ServerConfig

DEFAULT_INTERVAL_MS = 30_000
"""Period of the default pings when ``keepAliveInterval`` says nothing."""
MIN_INTERVAL = 0.2
"""Seconds; a shorter configured interval is raised to this."""
PING_TIMEOUT = 10.0
"""Seconds a ping may take at most (less when the interval is shorter)."""


def interval(config: ServerConfig, transport: Any) -> float | None:
    """Seconds between pings of this upstream, or None when it is not pinged."""
    enabled = config.enable_keep_alive
    if enabled is None:
        enabled = bool(getattr(transport, "pings_by_default", False))
    if not enabled:
        return None
    millis = config.keep_alive_interval or DEFAULT_INTERVAL_MS
    return max(MIN_INTERVAL, millis / 1000)


async def ping_until_woken(
    every: float | None,
    wake: asyncio.Event,
    ping: Callable[[], Awaitable[Any]],
    lost: Callable[[str], None],
) -> None:
    """Wait until ``wake`` is set, pinging every ``every`` seconds meanwhile; a ping that
    fails or takes longer than the timeout reports the link ``lost`` (which sets ``wake``)."""
    if every is None:
        await wake.wait()
        return
    timeout = min(PING_TIMEOUT, every)
    while not wake.is_set():
        with anyio.move_on_after(every):
            await wake.wait()
        if wake.is_set():
            return
        try:
            with anyio.fail_after(timeout):
                await ping()
        except Exception as exc:  # noqa: BLE001 - any failure means the link is gone
            lost(f"keep-alive ping failed: {one_line(exc) or 'no answer'}")
            return
