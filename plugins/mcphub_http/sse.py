"""Registers the ``sse`` transport: legacy HTTP+SSE, MCPHub's kind for url-only configs."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

import httpx2
from mcp.client.sse import sse_client

from hub.plugin_api import Claim, Registry, ServerConfig, Target, hookimpl
from mcphub_http.client import TIMEOUT, HttpTransport, auth_errors, prepare

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


@hookimpl
def register_transports(register: Registry[object]) -> None:
    register(SseTransport.kind, SseTransport())
