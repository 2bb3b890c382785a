"""What the HTTP transports (sse, streamable-http, later openapi) share: config and client.

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
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx2
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from hub.config.models import ServerConfig
from hub.upstream.calls import current_downstream
from hub.upstream.lean_http import LeanTransport
from hub.upstream.transport import AuthRequired, Target, one_line

TIMEOUT = httpx2.Timeout(30.0, read=300.0)
"""Connect/write 30 s; reads wait up to 5 min because event streams stay open."""


class HttpConfig(BaseModel):
    """The fields of a server config an HTTP transport reads."""

    model_config = ConfigDict(extra="ignore")

    url: str = Field(min_length=1)
    headers: dict[str, str] = Field(default_factory=dict)
    passthrough_headers: list[str] = Field(default_factory=list)

    @field_validator("url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if "$" in value:
            return value  # checked again after expansion, at connect time
        check_url(value)
        return value


def check_url(url: str) -> None:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"url must be an http(s) URL, got {url!r}")


def validate_http(kind: str, config: ServerConfig) -> HttpConfig:
    """Parse the HTTP fields or raise ``ValueError`` with one line naming the transport."""
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


@dataclass
class Probe:
    """What the client saw that the SDK does not report (an HTTP 401)."""

    unauthorized: bool = False


def _lookup(headers: Mapping[str, str], name: str) -> str | None:
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


def env_proxy_applies(url: str) -> bool:
    """Whether a proxy variable names a proxy for ``url``'s scheme (``NO_PROXY`` aside).

    httpx2 honours ``HTTP(S)_PROXY``/``ALL_PROXY``/``NO_PROXY`` only for clients built
    without a transport of their own, so such upstreams keep httpx2's default transport and
    its proxy logic; the others get the lean one.
    """
    proxies = urllib.request.getproxies_environment()
    return bool(proxies.get(urlsplit(url).scheme) or proxies.get("all"))


def make_client(target: Target, spec: HttpConfig, url: str) -> tuple[httpx2.AsyncClient, Probe]:
    """The upstream's client: expanded headers, passthrough hook, 401 probe, env proxies,
    and the lean keep-alive transport (``hub.upstream.lean_http``) unless the egress guard applies
    or a proxy must make the connection."""
    probe = Probe()
    names = list(dict.fromkeys(spec.passthrough_headers))

    async def passthrough(request: httpx2.Request) -> None:
        downstream = current_downstream.get()
        if downstream is None:
            return
        for name in names:
            value = _lookup(downstream.headers, name)
            if value is not None:
                request.headers[name] = value

    async def watch(response: httpx2.Response) -> None:
        if response.status_code == 401:
            probe.unauthorized = True

    hooks: dict[str, list[Any]] = {"response": [watch]}
    if names:
        hooks["request"] = [passthrough]
    headers = {str(k): str(v) for k, v in target.expand(spec.headers).items()}
    options = target.http_options(verify=shared_ssl_context())
    if "transport" not in options and not env_proxy_applies(url):
        options["transport"] = LeanTransport(shared_ssl_context())
    client = httpx2.AsyncClient(headers=headers, timeout=TIMEOUT, event_hooks=hooks, **options)
    return client, probe


def expanded_url(target: Target, spec: HttpConfig) -> str:
    url = str(target.expand(spec.url))
    check_url(url)
    return url


def prepare(kind: str, target: Target) -> tuple[str, httpx2.AsyncClient, Probe]:
    """What an HTTP transport's ``open`` starts from: the expanded URL and its client."""
    spec = validate_http(kind, target.config)
    url = expanded_url(target, spec)
    client, probe = make_client(target, spec, url)
    return url, client, probe


@contextlib.asynccontextmanager
async def auth_errors(probe: Probe) -> AsyncIterator[None]:
    """Turn any failure after an HTTP 401 into ``AuthRequired``."""
    try:
        yield
    except Exception as exc:
        if probe.unauthorized:
            raise AuthRequired("upstream requires authorization (HTTP 401)") from exc
        raise
