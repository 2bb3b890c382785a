"""Registers the ``streamable-http`` transport (the SDK's streamable HTTP client, with a
direct link for forwarded requests: ``mcphub_http.direct``).

It claims no untyped config: MCPHub reads a bare url as ``sse``, so streamable HTTP is
chosen by ``"type": "streamable-http"`` only.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

from hub.plugin_api import Registry, Target, hookimpl
from mcphub_http.client import HttpTransport, auth_errors, prepare_parts
from mcphub_http.direct import open_streamable


class StreamableHttpTransport(HttpTransport):
    """One pooled httpx2 client per connection; the session is DELETEd on close."""

    kind = "streamable-http"

    @contextlib.asynccontextmanager
    async def open(self, target: Target) -> AsyncIterator[Any]:
        url, parts = prepare_parts(self.kind, target)
        async with (
            auth_errors(parts.probe),
            parts.client,
            open_streamable(url, parts) as streams,
        ):
            yield streams


@hookimpl
def register_transports(register: Registry[object]) -> None:
    register(StreamableHttpTransport.kind, StreamableHttpTransport())
