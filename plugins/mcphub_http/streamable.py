"""Registers the ``streamable-http`` transport (the SDK's streamable HTTP client).

It claims no untyped config: MCPHub reads a bare url as ``sse``, so streamable HTTP is
chosen by ``"type": "streamable-http"`` only.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

from mcp.client.streamable_http import streamable_http_client

from hub.plugin_api import Registry, Target, hookimpl
from mcphub_http.client import HttpTransport, auth_errors, prepare


class StreamableHttpTransport(HttpTransport):
    """One pooled httpx2 client per connection; the session is DELETEd on close."""

    kind = "streamable-http"

    @contextlib.asynccontextmanager
    async def open(self, target: Target) -> AsyncIterator[Any]:
        url, client, probe = prepare(self.kind, target)
        async with (
            auth_errors(probe),
            client,
            streamable_http_client(url, http_client=client) as streams,
        ):
            yield streams


@hookimpl
def register_transports(register: Registry[object]) -> None:
    register(StreamableHttpTransport.kind, StreamableHttpTransport())
