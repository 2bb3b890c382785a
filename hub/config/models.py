"""Pydantic models of ``mcp_settings.json``: the one source of truth for configuration.

Field names are snake_case in Python and camelCase on the wire, as MCPHub writes them.
Every model keeps unknown fields (``extra="allow"``) so an MCPHub file survives a round trip
through the hub undamaged, including keys we do not understand yet.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator
from pydantic.alias_generators import to_camel


class Model(BaseModel):
    """Base: camelCase aliases, population by either name, unknown fields kept."""

    model_config = ConfigDict(
        alias_generator=to_camel,
        populate_by_name=True,
        extra="allow",
        validate_assignment=False,
    )

    def wire(self, *, exclude_unset: bool = False) -> dict[str, Any]:
        """The JSON form, camelCase, as MCPHub reads and writes it."""
        return self.model_dump(
            mode="json", by_alias=True, exclude_unset=exclude_unset, exclude_none=True
        )


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
    tools: dict[str, ItemOverride] | None = None
    prompts: dict[str, ItemOverride] | None = None
    resources: dict[str, ItemOverride] | None = None
    options: CallOptions | None = None
    proxy: dict[str, Any] | None = None
    oauth: dict[str, Any] | None = None
    openapi: dict[str, Any] | None = None

    @property
    def call_options(self) -> CallOptions:
        return self.options or CallOptions()


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


# --------------------------------------------------------------------- system config


class RoutingConfig(Model):
    enable_global_route: bool = True
    enable_group_name_route: bool = True
    enable_bearer_auth: bool = True
    bearer_auth_key: str = ""
    bearer_auth_header_name: str = "Authorization"
    json_body_limit: str = "1mb"
    skip_auth: bool = False
    unprefixed_server_route: bool = Field(
        False, description="Single-server routes serve the upstream's own, unprefixed names."
    )
    allowed_hosts: list[str] = Field(
        default_factory=list,
        description="Host names MCP routes accept (DNS-rebinding guard); loopback always.",
    )
    allowed_origins: list[str] = Field(
        default_factory=list,
        description="Browser origins MCP routes accept besides the host's own.",
    )


class InstallConfig(Model):
    python_index_url: str = ""
    npm_registry: str = ""
    base_url: str = "http://localhost:3000"


class SmartRoutingConfig(Model):
    enabled: bool = False
    db_url: str = ""
    embedding_provider: str = "openai"
    embedding_encoding_format: str = "auto"
    openai_api_base_url: str = "https://api.openai.com/v1"
    openai_api_key: str = ""
    openai_api_embedding_model: str = "text-embedding-3-small"
    azure_openai_endpoint: str = ""
    azure_openai_api_key: str = ""
    azure_openai_api_version: str = "2024-02-15-preview"
    azure_openai_embedding_deployment: str = ""
    azure_openai_embedding_model: str = ""
    progressive_disclosure: bool = False
    base_pacing_delay_ms: int = 0


class McpRouterConfig(Model):
    api_key: str = ""
    referer: str = "https://www.mcphub.app"
    title: str = "MCPHub"
    base_url: str = "https://api.mcprouter.to/v1"


class DynamicRegistration(Model):
    enabled: bool = True
    allowed_grant_types: list[str] = Field(
        default_factory=lambda: ["authorization_code", "refresh_token"]
    )
    requires_authentication: bool = False


class OAuthServerConfig(Model):
    enabled: bool = True
    access_token_lifetime: int = 3600
    refresh_token_lifetime: int = 1_209_600
    authorization_code_lifetime: int = 300
    require_client_secret: bool = False
    allowed_scopes: list[str] = Field(default_factory=lambda: ["read", "write"])
    require_state: bool = False
    dynamic_registration: DynamicRegistration = Field(default_factory=DynamicRegistration)


class EnvExpansionConfig(Model):
    """Which environment variables ``${VAR}`` may read (the hub's own secrets never)."""

    allow: list[str] = Field(
        default_factory=lambda: ["*"],
        description="Names or prefixes ending in '*' that admin-owned configs may expand.",
    )


class EgressConfig(Model):
    """Where upstream URLs of normal users' configs may point (an mcphub-py addition)."""

    allow_internal: bool = Field(
        False,
        description="Let configs owned by non-admins dial loopback, private and link-local "
        "addresses (admins' configs always may).",
    )


class UpstreamConfig(Model):
    """How the hub connects to upstreams (an mcphub-py addition)."""

    connect_concurrency: int = Field(8, ge=1, le=256)


class SystemConfig(Model):
    routing: RoutingConfig = Field(default_factory=RoutingConfig)
    install: InstallConfig = Field(default_factory=InstallConfig)
    smart_routing: SmartRoutingConfig = Field(default_factory=SmartRoutingConfig)
    mcp_router: McpRouterConfig = Field(default_factory=McpRouterConfig)
    name_separator: str = Field("-", min_length=1, max_length=8)
    enable_session_rebuild: bool = False
    oauth_server: OAuthServerConfig = Field(default_factory=OAuthServerConfig)
    env_expansion: EnvExpansionConfig = Field(default_factory=EnvExpansionConfig)
    upstreams: UpstreamConfig = Field(default_factory=UpstreamConfig)
    egress: EgressConfig = Field(default_factory=EgressConfig)


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


def parse_size(text: str | int) -> int:
    """``"1mb"`` → 1048576, as the ``bytes`` package that express uses reads it."""
    if isinstance(text, int):
        return text
    raw = text.strip().lower()
    units = {"b": 1, "kb": 1 << 10, "mb": 1 << 20, "gb": 1 << 30}
    for suffix in ("kb", "mb", "gb", "b"):
        if raw.endswith(suffix):
            return int(float(raw[: -len(suffix)]) * units[suffix])
    return int(raw)
