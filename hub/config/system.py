"""Pydantic models of ``systemConfig``, one class per section.

A new section is a class here and a field of ``SystemConfig``; the API's partial-update body
(``SystemConfigPatch``) is derived from ``SystemConfig``, so nothing else needs listing it.
"""

from __future__ import annotations

import functools
from typing import Annotated, Any, Optional

from pydantic import BaseModel, ConfigDict, Field, create_model

from hub.config.base import Model


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
    base_url: str = Field(
        "",
        description="The hub's public URL (OAuth issuer); empty: the URL each request came to. "
        "MCPHub fills in http://localhost:3000 on the first write; the hub does not.",
    )


class SmartRoutingConfig(Model):
    enabled: bool = False
    db_url: str = ""
    embedding_provider: str = Field(
        "lexical",
        description="Tool search provider: lexical (SQLite FTS5, needs nothing), local (the "
        "embeddings extra), openai or azure_openai. MCPHub's default was openai.",
    )
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


class MarketConfig(Model):
    """Where the market catalog comes from (an mcphub-py addition; MCPHub reads a file)."""

    url: str = Field(
        "",
        description="An http(s) URL of a servers.json in MCPHub's format; it replaces the "
        "catalog shipped with the hub. Empty: the shipped catalog.",
    )
    refresh_seconds: int = Field(
        3600,
        ge=0,
        le=7 * 86400,
        description="How long a fetched catalog is fresh; after that it is served while a "
        "background fetch renews it (and kept when the source is down).",
    )
    max_bytes: int = Field(
        16 * 1024 * 1024, ge=1024, description="Size cap on the fetched catalog."
    )


class RegistryConfig(Model):
    """The official MCP registry the ``/api/registry`` routes read (an mcphub-py addition)."""

    base_url: str = Field(
        "https://registry.modelcontextprotocol.io/v0.1",
        description="Base URL of a v0.1 registry API, version path included.",
    )


class McpbConfig(Model):
    """Caps on MCPB bundle uploads (``POST /api/mcpb/upload``)."""

    max_upload_bytes: int = Field(100 * 1024 * 1024, ge=1024, description="Upload size cap.")
    max_unpacked_bytes: int = Field(
        500 * 1024 * 1024, ge=1024, description="Cap on the unpacked total of a bundle."
    )
    max_ratio: int = Field(
        100, ge=1, description="Largest unpacked/packed size ratio (zip-bomb guard)."
    )
    max_entries: int = Field(10_000, ge=1, description="Most files a bundle may hold.")


class ObservabilityConfig(Model):
    """Activity history and metrics (an mcphub-py addition)."""

    activities: bool = Field(True, description="Record one activity per tool call.")
    activity_retention_days: int = Field(
        30, ge=0, le=36_500, description="Delete activities older than this daily; 0 keeps all."
    )
    public_metrics: bool = Field(
        False, description="Serve /metrics without credentials (else admin or all-access key)."
    )


class SessionsConfig(Model):
    """Downstream MCP sessions of the 2025 wire and legacy SSE (an mcphub-py addition)."""

    max_total: int = Field(10_000, ge=1, description="Sessions the hub holds at most.")
    max_per_principal: int = Field(
        100,
        ge=1,
        description="Sessions one caller holds at most: each user, each bearer key, and each "
        "client address when MCP needs no credentials; beyond it, 429 with Retry-After.",
    )
    idle_timeout: int = Field(
        1800,
        ge=1,
        description="Seconds after which a session with no request and no open stream ends "
        "(the client gets 404 and initialises again, as the protocol says).",
    )
    trust_proxy_headers: bool = Field(
        False,
        description="Count a caller without credentials by the address its reverse proxy "
        "reports (the last X-Forwarded-For hop, else X-Real-Ip) instead of the proxy's own, "
        "so clients behind one proxy do not share one cap. Only behind a proxy that sets "
        "the header: a direct client could name any address.",
    )


class SecurityConfig(Model):
    """Tool-definition pinning, the rug-pull defence (an mcphub-py addition)."""

    pin_tool_definitions: bool = Field(
        False,
        description="Hide and refuse a tool whose definition (name, description, input "
        "schema) differs from the one pinned, until an admin approves it. Off: a change is "
        "only flagged in the server list and logged.",
    )
    pin_on_first_connect: bool = Field(
        True,
        description="Pin a tool's definition the first time the hub sees it. Off: only an "
        "admin's approval pins, and a tool never approved counts as unapproved.",
    )


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
    market: MarketConfig = Field(default_factory=MarketConfig)
    registry: RegistryConfig = Field(default_factory=RegistryConfig)
    mcpb: McpbConfig = Field(default_factory=McpbConfig)
    observability: ObservabilityConfig = Field(default_factory=ObservabilityConfig)
    sessions: SessionsConfig = Field(default_factory=SessionsConfig)
    security: SecurityConfig = Field(default_factory=SecurityConfig)


def patch_model() -> type[BaseModel]:
    """Every section optional, unknown keys refused: the body of ``PUT /api/system-config``."""
    fields: dict[str, Any] = {}
    for name, info in SystemConfig.model_fields.items():
        annotation: Any = info.annotation
        if info.metadata:
            annotation = Annotated[(annotation, *info.metadata)]
        fields[info.alias or name] = (Optional[annotation], None)  # noqa: UP045 (built at run time)
    return create_model(
        "SystemConfigPatch",
        __config__=ConfigDict(extra="forbid"),
        __doc__="Any subset of systemConfig; each section is merged field by field.",
        **fields,
    )


SystemConfigPatch = patch_model()


@functools.lru_cache(maxsize=64)
def parse_size(text: str | int) -> int:
    """``"1mb"`` → 1048576, as the ``bytes`` package that express uses reads it. Remembered:
    body limits are read on every request, and the setting rarely changes."""
    if isinstance(text, int):
        return text
    raw = text.strip().lower()
    units = {"b": 1, "kb": 1 << 10, "mb": 1 << 20, "gb": 1 << 30}
    for suffix in ("kb", "mb", "gb", "b"):
        if raw.endswith(suffix):
            return int(float(raw[: -len(suffix)]) * units[suffix])
    return int(raw)
