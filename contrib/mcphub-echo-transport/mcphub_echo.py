"""An example mcphub transport in one file: servers of ``"type": "echo"``.

An echo server runs inside the hub process. It has one tool, ``echo``, which answers with
its ``text`` argument after the server's ``prefix``::

    {"mcpServers": {"parrot": {"type": "echo", "prefix": "you said: "}}}

It shows the whole transport contract (``hub.plugin_api.Transport``): ``config_model``,
``claim`` and ``privileged`` describe it; ``validate`` checks the transport's own fields of
a server config; ``destination`` says where its secrets go; ``open`` returns an async context manager
that yields the ``(read_stream, write_stream)`` pair of an MCP connection, over which the
hub runs its client session, and that releases everything when left. Here the other end
of the streams is the MCP SDK's low-level server, connected by the SDK's memory streams; a
real transport would start a process or dial a URL there instead.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Hashable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

import anyio
import mcp.types as t
from mcp.server import Server
from mcp.shared.exceptions import MCPError
from mcp.shared.memory import create_client_server_memory_streams
from pydantic import BaseModel, ConfigDict, ValidationError

from hub import hookimpl
from hub.plugin_api import Registry, ServerConfig, Target, one_line

TOOL = t.Tool(
    name="echo",
    description="Answers with its text, after the server's prefix",
    input_schema={
        "type": "object",
        "properties": {"text": {"type": "string"}},
        "required": ["text"],
    },
)


class EchoConfig(BaseModel):
    """The fields of a server config that the echo transport reads."""

    model_config = ConfigDict(extra="forbid")

    prefix: str = ""


def build_server(config: EchoConfig) -> Server[Any]:
    """The MCP server behind one echo upstream."""

    async def list_tools(ctx: Any, params: t.PaginatedRequestParams | None) -> t.ListToolsResult:
        return t.ListToolsResult(tools=[TOOL])

    async def call_tool(ctx: Any, params: t.CallToolRequestParams) -> t.CallToolResult:
        if params.name != TOOL.name:
            raise MCPError(t.INVALID_PARAMS, f"Unknown tool: {params.name}")
        text = str((params.arguments or {}).get("text", ""))
        return t.CallToolResult(content=[t.TextContent(text=config.prefix + text)])

    return Server("echo", version="0.1.0", on_list_tools=list_tools, on_call_tool=call_tool)


class EchoTransport:
    """Registered under the kind ``echo``."""

    config_model = EchoConfig
    claim = None
    """Only configs that say ``"type": "echo"``; a config without a type is never ours."""
    privileged = False
    """It runs nothing on the host, so normal users may add echo servers."""

    def parse(self, config: ServerConfig) -> EchoConfig:
        # The hub's own fields (type, enabled, owner, tools …) are not ours; what is left
        # over (pydantic's ``model_extra``) is the transport's section.
        try:
            return EchoConfig.model_validate(config.model_extra or {})
        except ValidationError as exc:
            raise ValueError(f"echo server: {one_line(exc)}") from None

    def validate(self, config: ServerConfig) -> ServerConfig:
        self.parse(config)
        return config

    def destination(self, config: ServerConfig) -> Hashable:
        return "echo"  # in-process: no secrets leave the hub

    def open(self, target: Target) -> AbstractAsyncContextManager[Any]:
        return _serve(self.parse(target.config))


@asynccontextmanager
async def _serve(config: EchoConfig) -> AsyncIterator[Any]:
    server = build_server(config)
    async with (
        create_client_server_memory_streams() as (client_streams, (read, write)),
        anyio.create_task_group() as tasks,
    ):
        tasks.start_soon(server.run, read, write, server.create_initialization_options())
        try:
            yield client_streams
        finally:
            tasks.cancel_scope.cancel()  # the server stops with the connection


@hookimpl
def register_transports(register: Registry[object]) -> None:
    register("echo", EchoTransport())
