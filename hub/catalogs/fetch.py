"""Bounded outbound fetches for catalogs: one timeout, one size cap, the egress policy.

Catalog URLs (``systemConfig.market.url``, ``registry.baseUrl``, ``mcpRouter.baseUrl``) are
set by admins, so by the egress policy they may point at internal addresses, as admin-owned
upstream configs may (the tests serve fake catalogs on 127.0.0.1). The scheme must be http
or https, redirects are followed at most three times, environment proxies are honoured as
for admin-owned upstreams, and a body over the cap is cut off and refused. Nothing here runs
on the hub's start path: catalogs fetch when a route asks.
"""

from __future__ import annotations

import json
import urllib.parse
from typing import Any

import httpx2

from hub.errors import BadRequest, UpstreamError
from hub.upstream import egress

DEFAULT_TIMEOUT = 10.0
DEFAULT_MAX_BYTES = 16 * 1024 * 1024


class FetchResult:
    """An answer: its status, its headers and its parsed JSON body (None when not JSON)."""

    def __init__(self, status: int, body: Any, url: str) -> None:
        self.status = status
        self.body = body
        self.url = url


def check_url(url: str, setting: str) -> str:
    """``url`` if it is http(s) with a host; 400 naming the setting otherwise."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise BadRequest(f"{setting} must be an http or https URL")
    return url


async def fetch_json(
    url: str,
    *,
    method: str = "GET",
    headers: dict[str, str] | None = None,
    params: dict[str, str] | None = None,
    body: Any = None,
    timeout: float = DEFAULT_TIMEOUT,  # noqa: ASYNC109 - a per-request bound, not a wrapper
    max_bytes: int = DEFAULT_MAX_BYTES,
    guard: bool = False,
) -> FetchResult:
    """Send one request and read its JSON answer, at most ``max_bytes`` of it.

    ``guard`` applies the egress (SSRF) guard (for URLs a normal user chose). Network
    failures, oversize bodies and bodies that are not JSON raise ``UpstreamError``; an HTTP
    error status is returned, for the caller to map.
    """
    options = egress.client_options(guard)
    try:
        async with (
            httpx2.AsyncClient(
                **options, timeout=timeout, follow_redirects=True, max_redirects=3
            ) as client,
            client.stream(method, url, headers=headers, params=params, json=body) as response,
        ):
            chunks: list[bytes] = []
            size = 0
            async for chunk in response.aiter_bytes():
                size += len(chunk)
                if size > max_bytes:
                    raise UpstreamError(f"Answer from {_origin(url)} exceeds {max_bytes} bytes")
                chunks.append(chunk)
            status = response.status_code
            final = str(response.url)
    except httpx2.HTTPError as exc:
        raise UpstreamError(f"Cannot reach {_origin(url)}: {type(exc).__name__}") from exc
    raw = b"".join(chunks)
    try:
        parsed = json.loads(raw) if raw.strip() else None
    except (json.JSONDecodeError, UnicodeDecodeError):
        if status < 400:
            raise UpstreamError(f"Answer from {_origin(url)} is not JSON") from None
        parsed = None
    return FetchResult(status, parsed, final)


def _origin(url: str) -> str:
    """Scheme and host of a URL, for messages (no path or query: they may hold keys)."""
    parts = urllib.parse.urlsplit(url)
    return f"{parts.scheme}://{parts.netloc.rpartition('@')[2]}"
