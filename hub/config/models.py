"""Pydantic models of ``mcp_settings.json``: the one source of truth for configuration.

Field names are snake_case in Python and camelCase on the wire, as MCPHub writes them.
Every model keeps unknown fields (``extra="allow"``) so an MCPHub file survives a round trip
through the hub undamaged, including keys we do not understand yet.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, field_validator

from hub.config.base import Model
from hub.config.system import SystemConfig

# --------------------------------------------------------------------- servers


class ItemOverride(Model):
    """Per-tool/prompt/resource toggle and description override (keys are namespaced names)."""

    enabled: bool | None = None
    description: str | None = None


class CallOptions(Model):
    """Per-call limits for an upstream, in milliseconds as in MCPHub."""

    timeout: int = Field(60_000, ge=1, description="Per-call timeout; reset on progress.")
    reset_timeout_on_progress: bool = True
    max_total_timeout: int | None = Field(None, ge=1, description="Hard cap even with progress.")


DEFAULT_CALL_OPTIONS = CallOptions()
"""What a server without ``options`` gets (one instance: read on every call, never changed)."""


class ServerConfig(Model):
    """One upstream server. The fields every kind shares are typed here; each transport
    plugin owns, validates and documents the fields of its kind (``hub.upstream.transport``)."""

    type: str | None = Field(
        None,
        description="The transport (stdio, sse, streamable-http, openapi or a plugin's); "
        "when absent, the first transport that claims the config (MCPHub: openapi, url, command).",
    )
    description: str | None = None
    enabled: bool = True
    owner: str | None = None
    url: str | None = None
    command: str | None = None
    args: list[str] | None = None
    env: dict[str, Any] | None = None
    cwd: str | None = None
    headers: dict[str, Any] | None = None
    passthrough_headers: list[str] | None = None
    enable_keep_alive: bool | None = None
    keep_alive_interval: int | None = None
    protocol_era: Literal["2025-11-25", "auto"] | None = Field(
        default=None,
        description="``auto``: discover whether the upstream speaks 2026-07-28 and pass 2026 "
        "requests through to it (``hub.upstream.modern``); unset: the 2025 handshake only.",
    )
    tools: dict[str, ItemOverride] | None = None
    prompts: dict[str, ItemOverride] | None = None
    resources: dict[str, ItemOverride] | None = None
    options: CallOptions | None = None
    proxy: dict[str, Any] | None = None
    oauth: dict[str, Any] | None = None
    openapi: dict[str, Any] | None = None

    @property
    def call_options(self) -> CallOptions:
        return self.options or DEFAULT_CALL_OPTIONS


def as_env_value(value: Any) -> str:
    """MCPHub files sometimes hold numbers or booleans in env and headers; a process needs
    strings. Converted where used, so the file keeps what the user wrote."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


# --------------------------------------------------------------------- groups


Selection = Literal["all"] | list[str]


class GroupServer(Model):
    """A server in a group, with optional selections of upstream (un-prefixed) names."""

    name: str
    tools: Selection = "all"
    prompts: Selection = "all"
    resources: Selection = "all"


class Group(Model):
    """A named set of servers, served at ``/mcp/{id}`` or ``/mcp/{name}``."""

    id: str
    name: str
    description: str | None = None
    servers: list[GroupServer] = Field(default_factory=list)
    owner: str | None = None

    @field_validator("servers", mode="before")
    @classmethod
    def _normalise_servers(cls, value: Any) -> Any:
        # MCPHub accepts plain server names as well as selection objects.
        if isinstance(value, list):
            return [{"name": v} if isinstance(v, str) else v for v in value]
        return value


# --------------------------------------------------------------------- principals


class User(Model):
    """A dashboard/API user. ``password`` holds a hash (bcrypt as MCPHub, or ours)."""

    username: str
    password: str = ""
    is_admin: bool = False
    token_version: int = 0


AccessType = Literal["all", "groups", "servers", "custom"]


class BearerKey(Model):
    """A static MCP/API token. Only its hash is kept once the hub has seen it."""

    id: str
    name: str
    token: str | None = Field(None, description="Plaintext; only in imported MCPHub files.")
    token_hash: str | None = None
    token_hint: str | None = Field(None, description="Masked form shown after creation.")
    enabled: bool = True
    access_type: AccessType = "all"
    allowed_groups: list[str] = Field(default_factory=list)
    allowed_servers: list[str] = Field(default_factory=list)
    owner: str | None = None
    allow_host_execution: bool = Field(
        False,
        description="May also create or change what runs programs on the hub's machine "
        "(stdio servers, MCPB bundles); MCPHub has no such flag, so keys lack it by default.",
    )


class BuiltinPrompt(Model):
    id: str
    name: str
    title: str | None = None
    description: str | None = None
    template: str = ""
    arguments: list[dict[str, Any]] | None = None
    enabled: bool = True


class BuiltinResource(Model):
    id: str
    uri: str
    name: str | None = None
    description: str | None = None
    mime_type: str = "text/plain"
    content: str = ""
    enabled: bool = True


# --------------------------------------------------------------------- the file


class McpSettings(Model):
    """The whole ``mcp_settings.json``."""

    mcp_servers: dict[str, ServerConfig] = Field(default_factory=dict)
    users: list[User] = Field(default_factory=list)
    groups: list[Group] = Field(default_factory=list)
    system_config: SystemConfig = Field(default_factory=SystemConfig)
    user_configs: dict[str, Any] | None = None
    oauth_clients: list[dict[str, Any]] | None = None
    oauth_tokens: list[dict[str, Any]] | None = None
    bearer_keys: list[BearerKey] = Field(default_factory=list)
    prompts: list[BuiltinPrompt] = Field(default_factory=list)
    resources: list[BuiltinResource] = Field(default_factory=list)
    tool_pins: dict[str, dict[str, Any]] | None = Field(
        None, description="Approved tool definitions by server and tool (hub.upstream.pins)."
    )
