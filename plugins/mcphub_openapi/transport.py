"""The ``openapi`` transport: a loaded spec served as an in-process MCP server.

``open`` reads the spec (so a reload re-reads it) and runs a low-level SDK ``Server`` over
context-carrying memory streams; the hub's upstream manager talks to it like to any other
upstream. The streams carry the caller's contextvars, so the call handler sees
``current_downstream`` and can pass its headers through.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator, Hashable
from typing import Any

import anyio
import mcp.types as t
from mcp.server import Server, ServerRequestContext
from mcp.shared.memory import create_client_server_memory_streams
from mcphub_http.client import check_url, new_client, origin
from pydantic import BaseModel, ConfigDict, Field

from hub.plugin_api import Claim, ServerConfig, Target, current_downstream, one_line
from mcphub_openapi.config import OpenAPIConfig, openapi_config
from mcphub_openapi.service import OpenAPIService

log = logging.getLogger(__name__)

Ctx = ServerRequestContext[Any]


class OpenAPIServerConfig(BaseModel):
    """The fields of a server config the openapi transport reads."""

    model_config = ConfigDict(extra="ignore")

    openapi: OpenAPIConfig
    url: str | None = Field(None, description="Base for a spec whose servers are relative.")
    headers: dict[str, Any] = Field(default_factory=dict, description="Sent with every call.")


def _has_spec(config: ServerConfig) -> bool:
    section = config.openapi or {}
    return bool(section.get("url") or section.get("schema"))


class OpenAPITransport:
    """A REST API described by OpenAPI 3.0/3.1, served as an in-process MCP server."""

    config_model: type[BaseModel] = OpenAPIServerConfig
    # MCPHub infers openapi first: a config with a spec is openapi even when it has a url.
    claim = Claim(order=100, needs="an openapi.url or openapi.schema", test=_has_spec)
    privileged = False

    def parse(self, config: ServerConfig) -> OpenAPIConfig:
        """The plugin's model of the ``openapi`` section, or ``ValueError`` with one line."""
        if not _has_spec(config):
            raise ValueError("openapi.url or openapi.schema is required for openapi")
        url = (config.openapi or {}).get("url")
        if isinstance(url, str):
            check_url(url, "openapi.url")
        try:
            return openapi_config(config)
        except ValueError as exc:
            raise ValueError(f"openapi server: {one_line(exc)}") from None

    def validate(self, config: ServerConfig) -> ServerConfig:
        self.parse(config)
        return config

    def destination(self, config: ServerConfig) -> Hashable:
        # The spec's origin, and the top-level url that relative servers resolve against.
        return origin((config.openapi or {}).get("url")), origin(config.url)

    @contextlib.asynccontextmanager
    async def open(self, target: Target) -> AsyncIterator[Any]:
        config = target.config
        raw = dict(config.openapi or {})
        inline = raw.pop("schema", None)  # a spec is data, never ${VAR}-expanded
        expanded = {**target.expand(raw), **({"schema": inline} if inline is not None else {})}
        section = self.parse(config.model_copy(update={"openapi": expanded}))
        headers = {str(k): str(v) for k, v in target.expand(config.headers or {}).items()}
        timeout = config.call_options.timeout / 1000
        async with new_client(target, timeout=timeout) as client:
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
        # Wire dicts, not result models: the SDK sends them as they are (see hub.mcp docs).
        on_list_tools=list_tools,  # type: ignore[arg-type]
        on_call_tool=call_tool,  # type: ignore[arg-type]
    )
    server.middleware.clear()  # no tracing spans for an in-process hop
    return server
