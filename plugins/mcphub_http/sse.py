"""Registers the ``sse`` transport: legacy HTTP+SSE, MCPHub's kind for url-only configs."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator
from typing import Any

import httpx2
from mcp.client.sse import sse_client
from mcp.shared.exceptions import MCPError

from hub.plugin_api import (
    AuthRequired,
    Claim,
    Registry,
    ServerConfig,
    Target,
    hookimpl,
    one_line,
)
from mcphub_http.client import TIMEOUT, HttpTransport, auth_errors, prepare
from mcphub_http.streamable import StreamableHttpTransport

log = logging.getLogger(__name__)

KEEP_ALIVE_INTERVAL = 60_000
"""MCPHub's create/update controllers store this on SSE configs that lack one (ms)."""


class SseTransport(HttpTransport):
    """GET opens the event stream, messages are POSTed to the endpoint it announces."""

    kind = "sse"
    # MCPHub: an openapi section first, then a url means sse (never streamable-http).
    claim = Claim(order=200, needs="a url", test=lambda config: bool(config.url))

    def validate(self, config: ServerConfig) -> ServerConfig:
        config = super().validate(config)
        if config.keep_alive_interval is None:
            config = config.model_copy(update={"keep_alive_interval": KEEP_ALIVE_INTERVAL})
        return config

    @contextlib.asynccontextmanager
    async def open(self, target: Target) -> AsyncIterator[Any]:
        """The SSE connection; when the upstream refuses the event stream (a 4xx other than
        an auth answer, or a reply that is no event stream), streamable HTTP at the same url,
        as MCPHub users often leave ``type`` out for either kind."""
        async with contextlib.AsyncExitStack() as stack:
            refused: str | None = None
            try:
                streams = await stack.enter_async_context(self._sse(target))
            except Exception as exc:
                refused = not_sse(exc)
                if refused is None:
                    raise
            if refused is None:
                yield streams
                return
            log.info("Upstream %s refused SSE (%s); trying streamable HTTP", target.name, refused)
            streams = await stack.enter_async_context(StreamableHttpTransport().open(target))
            try:
                yield streams
            except Exception as exc:
                if not not_streamable(exc):
                    raise
                raise ConnectionError(
                    f"the upstream answered neither SSE ({refused}) nor streamable HTTP "
                    f'({one_line(exc)}) at this url; check the url, or set "type" to the '
                    "transport it speaks (sse or streamable-http)"
                ) from exc

    @contextlib.asynccontextmanager
    async def _sse(self, target: Target) -> AsyncIterator[Any]:
        url, client, probe = prepare(self.kind, target)

        def factory(
            headers: dict[str, str] | None = None,
            timeout: httpx2.Timeout | None = None,
            auth: httpx2.Auth | None = None,
        ) -> httpx2.AsyncClient:
            # sse_client enters and closes the client itself; ours carries headers and hooks.
            return client

        async with (
            auth_errors(probe),
            sse_client(
                url,
                timeout=TIMEOUT.connect or 30.0,
                sse_read_timeout=TIMEOUT.read or 300.0,
                httpx_client_factory=factory,
            ) as streams,
        ):
            yield streams


def causes(exc: BaseException) -> list[BaseException]:
    """``exc``, the members of exception groups and the causes, depth first (bounded)."""
    seen: list[BaseException] = []
    todo = [exc]
    while todo and len(seen) < 50:
        item = todo.pop()
        if any(item is s for s in seen):
            continue
        seen.append(item)
        if isinstance(item, BaseExceptionGroup):
            todo.extend(item.exceptions)
        todo.extend(e for e in (item.__cause__, item.__context__) if e is not None)
    return seen


def http_status(exc: BaseException) -> int | None:
    """The HTTP status behind a failure, if an ``HTTPStatusError`` caused it."""
    for item in causes(exc):
        if isinstance(item, httpx2.HTTPStatusError):
            return item.response.status_code
    return None


def not_sse(exc: BaseException) -> str | None:
    """Why the upstream is not an SSE server (``HTTP 400``, ``not an event stream``), or None
    when the failure is something else (auth, network, timeout)."""
    if isinstance(exc, AuthRequired):
        return None
    status = http_status(exc)
    if status is not None:
        return f"HTTP {status}" if 400 <= status < 500 and status not in NOT_FALLBACK else None
    if any(type(item).__name__ == "SSEError" for item in causes(exc)):
        return "not an event stream"
    return None


NOT_STREAMABLE = ("Not Found", "Server returned an error response", "Unexpected content type")
"""How the SDK's streamable HTTP client words an HTTP-level refusal of its first POST."""


def not_streamable(exc: BaseException) -> bool:
    """Whether a failure says the url does not speak streamable HTTP (an HTTP error status,
    or the SDK's error for one), rather than a connection lost later."""
    if http_status(exc) is not None:
        return True
    return any(
        isinstance(item, MCPError) and item.error.message.startswith(NOT_STREAMABLE)
        for item in causes(exc)
    )


NOT_FALLBACK = frozenset({401, 403, 407, 429})
"""Statuses that say something about the caller, not about the transport."""


@hookimpl
def register_transports(register: Registry[object]) -> None:
    register(SseTransport.kind, SseTransport())
