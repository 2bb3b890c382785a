"""What the HTTP transports (sse, streamable-http; openapi too) share: config and client.

One ``httpx2.AsyncClient`` per upstream connection, with the configured headers expanded
under the config's policy, proxies from ``HTTP(S)_PROXY``/``NO_PROXY`` (``trust_env``), and
an event hook that copies ``passthroughHeaders`` from the downstream request of the current
call: the SDK carries the caller's contextvars into the task that sends each POST, so the
hook sees ``current_downstream`` of the call the message belongs to.
"""

from __future__ import annotations

import contextlib
import functools
import ssl
import urllib.request
from collections.abc import AsyncIterator, Hashable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx2
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from pydantic.alias_generators import to_camel

from hub.plugin_api import (
    AuthRequired,
    Claim,
    ServerConfig,
    Target,
    current_downstream,
    one_line,
)
from mcphub_http.lean import LeanTransport
from mcphub_http.oauth import HubOAuthProvider, provider_for

TIMEOUT = httpx2.Timeout(30.0, read=300.0)
"""Connect/write 30 s; reads wait up to 5 min because event streams stay open."""


class HttpConfig(BaseModel):
    """The fields of a server config an HTTP transport reads."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="ignore")

    url: str = Field(min_length=1, description="The MCP endpoint; ``${VAR}`` expanded.")
    headers: dict[str, str] = Field(default_factory=dict, description="Sent with every request.")
    passthrough_headers: list[str] = Field(
        default_factory=list, description="Copied from the downstream request of each call."
    )


def check_url(url: str, field: str = "url") -> None:
    """``ValueError`` unless ``url`` is an absolute http(s) URL (messages as the API shows)."""
    try:
        parts = urlsplit(url)
    except ValueError:
        raise ValueError(f"{field} is not a valid URL") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"{field} must be an http(s) URL")


def origin(url: str | None) -> tuple[str, str, int | None] | None:
    """Scheme, host and port of a URL: where requests (and secrets) go; None if unusable."""
    if not url:
        return None
    try:
        parts = urlsplit(url)
        return parts.scheme, parts.hostname or "", parts.port
    except ValueError:
        return None


def parse_http(kind: str, config: ServerConfig) -> HttpConfig:
    """The HTTP fields of a config, or ``ValueError`` with one line; a URL holding ``${VAR}``
    is checked again after expansion, at connect time."""
    if not config.url:
        raise ValueError(f"url is required for type {kind}")
    if "$" not in config.url:
        check_url(config.url)
    try:
        return HttpConfig.model_validate(
            {
                "url": config.url,
                "headers": config.headers or {},
                "passthrough_headers": config.passthrough_headers or [],
            }
        )
    except ValidationError as exc:
        raise ValueError(f"{kind} server: {one_line(exc)}") from None


class HttpTransport:
    """What ``sse`` and ``streamable-http`` share: their fields, checks and destination."""

    kind = ""
    config_model: type[BaseModel] = HttpConfig
    claim: Claim | None = None
    privileged = False
    pings_by_default = True
    """A remote upstream that dies while idle is seen only by pinging it (every 30 s unless
    ``keepAliveInterval`` says otherwise; ``enableKeepAlive: false`` turns it off)."""

    def validate(self, config: ServerConfig) -> ServerConfig:
        parse_http(self.kind, config)
        return config

    def destination(self, config: ServerConfig) -> Hashable:
        return origin(config.url)


@dataclass
class Probe:
    """What the client saw that the SDK does not report (an HTTP 401)."""

    unauthorized: bool = False


def lookup_header(headers: Mapping[str, str], name: str) -> str | None:
    value = headers.get(name)
    if value is not None:
        return value
    lower = name.lower()
    return next((v for k, v in headers.items() if k.lower() == lower), None)


@functools.cache
def shared_ssl_context() -> ssl.SSLContext:
    """One TLS context for every upstream client. Each httpx2 client would otherwise build
    its own and load the CA bundle: about 0.9 MiB of RSS and 18 ms of CPU per upstream."""
    return httpx2.create_ssl_context(trust_env=True)


def env_proxy_applies(url: str | None) -> bool:
    """Whether a proxy variable names a proxy for ``url``'s scheme (any scheme if None;
    ``NO_PROXY`` aside).

    httpx2 honours ``HTTP(S)_PROXY``/``ALL_PROXY``/``NO_PROXY`` only for clients built
    without a transport of their own, so such upstreams keep httpx2's default transport and
    its proxy logic; the others get the lean one.
    """
    proxies = urllib.request.getproxies_environment()
    if url is None:
        return bool(proxies.get("http") or proxies.get("https") or proxies.get("all"))
    return bool(proxies.get(urlsplit(url).scheme) or proxies.get("all"))


def new_client(target: Target, url: str | None = None, **options: Any) -> httpx2.AsyncClient:
    """An ``httpx2.AsyncClient`` for ``target``: the egress guard's transport when it applies,
    httpx2's own where an environment proxy must make the connection, the lean keep-alive
    transport (``mcphub_http.lean``) otherwise; one shared TLS context. ``url`` is where it
    will mostly go (None: anywhere); ``options`` are more ``AsyncClient`` arguments."""
    return _client_and_lean(target, url, **options)[0]


def _client_and_lean(
    target: Target, url: str | None, **options: Any
) -> tuple[httpx2.AsyncClient, LeanTransport | None]:
    client_options = target.http_options(verify=shared_ssl_context())
    lean = None
    if "transport" not in client_options and not env_proxy_applies(url):
        client_options["transport"] = lean = LeanTransport(shared_ssl_context())
    return httpx2.AsyncClient(**client_options, **options), lean


@dataclass
class ClientParts:
    """An upstream's client and what a direct link needs to send past it (``mcphub_http.direct``)."""

    client: httpx2.AsyncClient
    probe: Probe
    lean: LeanTransport | None
    """The client's own pooled transport; None under the egress guard or a proxy."""
    provider: HubOAuthProvider | None
    """The OAuth provider when no configured header authenticates."""
    passthrough: list[str]
    """Header names copied from the downstream request of each call."""


def make_client(target: Target, spec: HttpConfig, url: str) -> ClientParts:
    """The MCP upstream's client: expanded headers, passthrough hook, 401 probe, and the
    OAuth provider (``mcphub_http.oauth``) unless the headers carry an Authorization."""
    probe = Probe()
    names = list(dict.fromkeys(spec.passthrough_headers))

    async def passthrough(request: httpx2.Request) -> None:
        downstream = current_downstream.get()
        if downstream is None:
            return
        for name in names:
            value = lookup_header(downstream.headers, name)
            if value is not None:
                request.headers[name] = value

    async def watch(response: httpx2.Response) -> None:
        if response.status_code == 401:
            probe.unauthorized = True

    hooks: dict[str, list[Any]] = {"response": [watch]}
    if names:
        hooks["request"] = [passthrough]
    headers = {str(k): str(v) for k, v in target.expand(spec.headers).items()}
    options: dict[str, Any] = {"headers": headers, "timeout": TIMEOUT, "event_hooks": hooks}
    provider = None
    if not any(name.lower() == "authorization" for name in headers):
        options["auth"] = provider = provider_for(target, url)  # unless a header authenticates
    client, lean = _client_and_lean(target, url, **options)
    return ClientParts(client, probe, lean, provider, names)


def prepare_parts(kind: str, target: Target) -> tuple[str, ClientParts]:
    """What an HTTP transport's ``open`` starts from: the expanded URL and its client."""
    spec = parse_http(kind, target.config)
    url = str(target.expand(spec.url))
    check_url(url)
    return url, make_client(target, spec, url)


def prepare(kind: str, target: Target) -> tuple[str, httpx2.AsyncClient, Probe]:
    """``prepare_parts`` for transports that only need the client."""
    url, parts = prepare_parts(kind, target)
    return url, parts.client, parts.probe


@contextlib.asynccontextmanager
async def auth_errors(probe: Probe) -> AsyncIterator[None]:
    """Turn any failure after an HTTP 401 into ``AuthRequired``."""
    try:
        yield
    except Exception as exc:
        if probe.unauthorized:
            raise AuthRequired("upstream requires authorization (HTTP 401)") from exc
        raise
