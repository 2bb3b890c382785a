"""Registers the ``streamable-http`` transport (the SDK's streamable HTTP client)."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

from mcp.client.streamable_http import streamable_http_client

from hub.plugin_api import Registry, ServerConfig, Target, hookimpl
from hub.upstream.http_client import HttpConfig, auth_errors, prepare, validate_http

KIND = "streamable-http"


class StreamableHttpTransport:
    """One pooled httpx2 client per connection; the session is DELETEd on close."""

    def validate(self, config: ServerConfig) -> HttpConfig:
        return validate_http(KIND, config)

    @contextlib.asynccontextmanager
    async def open(self, target: Target) -> AsyncIterator[Any]:
        url, client, probe = prepare(KIND, target)
        async with (
            auth_errors(probe),
            client,
            streamable_http_client(url, http_client=client) as streams,
        ):
            yield streams


@hookimpl
def register_transports(register: Registry[object]) -> None:
    register(KIND, StreamableHttpTransport())
