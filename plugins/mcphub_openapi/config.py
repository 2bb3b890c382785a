"""The ``openapi`` section of a server config, owned and validated by this plugin.

The shape is MCPHub's (``url`` or ``schema``, ``security``, ``passthroughHeaders``) plus
``validateRequests``, the opt-in openapi-core check of every outgoing request.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, model_validator

from hub.plugin_api import Model, ServerConfig


class ApiKeySecurity(Model):
    name: str | None = Field(
        None, description="Header, query or cookie name; from the spec if unset."
    )
    in_: Literal["header", "query", "cookie"] | None = Field(None, alias="in")
    value: str = ""


class HttpSecurity(Model):
    scheme: Literal["basic", "bearer", "digest"] = "bearer"
    bearer_format: str | None = None
    credentials: str = Field(
        "", description="Bearer token, or for basic either `user:password` or its base64 form."
    )


class OAuth2Security(Model):
    token_url: str | None = Field(
        None, description="From the spec's clientCredentials flow if unset."
    )
    client_id: str | None = None
    client_secret: str | None = None
    scopes: list[str] = Field(default_factory=list)
    token: str | None = Field(None, description="A pre-obtained access token, used as is.")


class OpenIdConnectSecurity(Model):
    url: str | None = Field(
        None, description="The openid-configuration document; the spec's openIdConnectUrl if unset."
    )
    client_id: str | None = None
    client_secret: str | None = None
    scopes: list[str] = Field(default_factory=list)
    token: str | None = None


class SecurityConfig(Model):
    type: Literal["none", "apiKey", "http", "oauth2", "openIdConnect"] = "none"
    api_key: ApiKeySecurity | None = None
    http: HttpSecurity | None = None
    oauth2: OAuth2Security | None = None
    open_id_connect: OpenIdConnectSecurity | None = None

    @model_validator(mode="after")
    def _section_present(self) -> SecurityConfig:
        section = {
            "apiKey": self.api_key,
            "http": self.http,
            "oauth2": self.oauth2,
            "openIdConnect": self.open_id_connect,
        }
        if self.type != "none" and section[self.type] is None:
            raise ValueError(f"security.type is {self.type!r} but security.{self.type} is missing")
        if self.type == "http" and self.http is not None and self.http.scheme == "digest":
            raise ValueError("http digest authentication is not supported")
        oauth = self.oauth2 if self.type == "oauth2" else None
        if oauth is not None and not oauth.token and not oauth.client_id:
            raise ValueError("oauth2 needs either token or clientId (client credentials)")
        oidc = self.open_id_connect if self.type == "openIdConnect" else None
        if oidc is not None and not oidc.token and not oidc.client_id:
            raise ValueError("openIdConnect needs either token or clientId (client credentials)")
        return self


class OpenAPIConfig(Model):
    url: str | None = Field(None, description="Where the spec is fetched from (JSON or YAML).")
    spec: dict[str, Any] | None = Field(None, alias="schema", description="An inline spec.")
    version: str | None = Field(None, description="Informational, as in MCPHub.")
    security: SecurityConfig = Field(default_factory=SecurityConfig)
    passthrough_headers: list[str] = Field(default_factory=list)
    validate_requests: bool = Field(
        False,
        description="Check arguments and each built request against the spec (openapi-core); "
        "costs a few ms of CPU per call.",
    )

    @model_validator(mode="after")
    def _source_present(self) -> OpenAPIConfig:
        if not self.url and not self.spec:
            raise ValueError("openapi needs url or schema")
        if self.url and not self.url.startswith(("http://", "https://")):
            raise ValueError("openapi.url must be an http(s) URL")
        return self


def openapi_config(config: ServerConfig) -> OpenAPIConfig:
    """The plugin's model of a server's ``openapi`` section; ``ValueError`` if it is unusable."""
    if not config.openapi:
        raise ValueError("openapi: missing (needs url or schema)")
    return OpenAPIConfig.model_validate(config.openapi)
