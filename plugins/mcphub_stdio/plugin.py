"""Registers the ``stdio`` transport: an upstream MCP server run as a child process."""

from __future__ import annotations

import shlex
from collections.abc import Hashable
from contextlib import AbstractAsyncContextManager
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from hub.plugin_api import Claim, Registry, ServerConfig, Target, hookimpl, one_line
from mcphub_stdio.process import child_env, open_stdio


class StdioConfig(BaseModel):
    """The fields of a server config that the stdio transport reads."""

    model_config = ConfigDict(extra="ignore")

    command: str = Field(min_length=1, description="The program; never run through a shell.")
    args: list[str] = Field(default_factory=list)
    # Scalars, as MCPHub's files have them ("RETRIES": 3) and the core's check allows; the
    # child gets them as strings.
    env: dict[str, str | int | float | bool] = Field(
        default_factory=dict, description="Added to a small allow-list of the hub's environment."
    )
    cwd: str | None = None


class StdioTransport:
    """Spawns ``command args…`` with an explicit environment; never through a shell."""

    config_model: type[BaseModel] = StdioConfig
    # MCPHub infers stdio last: an openapi section or a url wins over a command.
    claim = Claim(order=300, needs="a command", test=lambda config: bool(config.command))
    privileged = True
    """A child process runs on the hub's machine: admins only."""

    def parse(self, config: ServerConfig) -> StdioConfig:
        """The stdio fields of a config, or ``ValueError`` with one line."""
        if not config.command:
            raise ValueError("command is required for type stdio")
        if config.headers:
            raise ValueError("headers are not supported for stdio servers")
        try:
            return StdioConfig.model_validate(
                {
                    "command": config.command,
                    "args": config.args or [],
                    "env": config.env or {},
                    "cwd": config.cwd,
                }
            )
        except ValidationError as exc:
            raise ValueError(f"stdio server: {one_line(exc)}") from None

    def validate(self, config: ServerConfig) -> ServerConfig:
        self.parse(config)
        return config

    def destination(self, config: ServerConfig) -> Hashable:
        return config.command

    def open(self, target: Target) -> AbstractAsyncContextManager[Any]:
        spec = self.parse(target.config)
        argv = [str(target.expand(spec.command)), *(str(a) for a in target.expand(spec.args))]
        if not argv[0]:
            raise ValueError(f"stdio server: command {shlex.quote(spec.command)} expands to ''")
        cwd = target.expand(spec.cwd) if spec.cwd else None
        return open_stdio(target, argv, child_env(target), cwd)


@hookimpl
def register_transports(register: Registry[object]) -> None:
    register("stdio", StdioTransport())
