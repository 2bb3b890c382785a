"""The ``openapi`` transport: a loaded spec served as an in-process MCP server.

``open`` reads the spec (so a reload re-reads it) and runs a low-level SDK ``Server`` over
context-carrying memory streams; the hub's upstream manager talks to it like to any other
upstream. The streams carry the caller's contextvars, so the call handler sees
``current_downstream`` and can pass its headers through.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator
from typing import Any

import anyio
import httpx2
import mcp.types as t
from mcp.server import Server, ServerRequestContext
from mcp.shared.memory import create_client_server_memory_streams

from hub.plugin_api import ServerConfig, Target, current_downstream, one_line
from mcphub_openapi.config import OpenAPIConfig, openapi_config
from mcphub_openapi.service import OpenAPIService

log = logging.getLogger(__name__)

Ctx = ServerRequestContext[Any]


class OpenAPITransport:
    def validate(self, config: ServerConfig) -> OpenAPIConfig:
        try:
            return openapi_config(config)
        except ValueError as exc:
            raise ValueError(f"openapi server: {one_line(exc)}") from None

    @contextlib.asynccontextmanager
    async def open(self, target: Target) -> AsyncIterator[Any]:
        config = target.config
        raw = dict(config.openapi or {})
        inline = raw.pop("schema", None)  # a spec is data, never ${VAR}-expanded
        expanded = {**target.expand(raw), **({"schema": inline} if inline is not None else {})}
        section = self.validate(config.model_copy(update={"openapi": expanded}))
        headers = {str(k): str(v) for k, v in target.expand(config.headers or {}).items()}
        timeout = config.call_options.timeout / 1000
        async with httpx2.AsyncClient(timeout=timeout, **target.http_options()) as client:
            service = await OpenAPIService.load(
                section,
                headers=headers,
                fallback_url=target.expand(config.url) if config.url else None,
                call_timeout=timeout,
                client=client,
            )
            log.info(
                "OpenAPI upstream %s: %d operations at %s",
                target.name,
                len(service.operations),
                service.spec.base_url,
            )
            server = _server(target.name, service)
            options = server.create_initialization_options()
            async with (
                create_client_server_memory_streams() as (client_streams, server_streams),
                anyio.create_task_group() as tg,
            ):
                tg.start_soon(server.run, *server_streams, options)
                try:
                    yield client_streams
                finally:
                    tg.cancel_scope.cancel()


def _server(name: str, service: OpenAPIService) -> Server[Any]:
    info = service.spec.document.get("info") or {}

    async def list_tools(ctx: Ctx, params: t.PaginatedRequestParams | None) -> dict[str, Any]:
        return {"tools": service.tools()}

    async def call_tool(ctx: Ctx, params: t.CallToolRequestParams) -> dict[str, Any]:
        downstream = current_downstream.get()
        headers = downstream.headers if downstream is not None else None
        return await service.call(params.name, params.arguments, headers)

    description = info.get("description")
    server: Server[Any] = Server(
        str(info.get("title") or name),
        version=str(info.get("version") or "0"),
        instructions=str(description) if description else None,
        on_list_tools=list_tools,
        on_call_tool=call_tool,
    )
    server.middleware.clear()  # no tracing spans for an in-process hop
    return server
