"""Registers the ``sse`` transport (legacy HTTP+SSE; the default for url-only configs)."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

import httpx2
from mcp.client.sse import sse_client

from hub.plugin_api import Registry, ServerConfig, Target, hookimpl
from hub.upstream.http_client import TIMEOUT, HttpConfig, auth_errors, prepare, validate_http

KIND = "sse"


class SseTransport:
    """GET opens the event stream, messages are POSTed to the endpoint it announces."""

    def validate(self, config: ServerConfig) -> HttpConfig:
        return validate_http(KIND, config)

    @contextlib.asynccontextmanager
    async def open(self, target: Target) -> AsyncIterator[Any]:
        url, client, probe = prepare(KIND, target)

        def factory(**_: Any) -> httpx2.AsyncClient:
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
    register(KIND, SseTransport())
