"""One OpenAPI upstream, transport-free: load its spec, list its tools, call them over HTTP.

A call result is a wire-form ``CallToolResult``: a JSON response gives ``structuredContent``
(non-objects wrapped as ``{"result": ...}``) and its JSON text; other responses give text,
an image or a blob. An HTTP error, a timeout or a refused connection is an ``isError``
result naming the status and the start of the body, so the model can see what went wrong.
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import time
from collections.abc import Mapping
from typing import Any, cast

import httpx2

from mcphub_openapi.auth import Credentials, Outgoing
from mcphub_openapi.config import OpenAPIConfig
from mcphub_openapi.loader import Resolver, Spec, SpecError, base_url, check, fetch
from mcphub_openapi.request import ArgumentError, Built, build
from mcphub_openapi.tools import Operation, build_operations

log = logging.getLogger(__name__)

EXCERPT = 500
"""Characters of an error body quoted in the result."""
MAX_RESPONSE_BYTES = 10 * 1024 * 1024
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def error_result(text: str) -> dict[str, Any]:
    return {"content": [{"type": "text", "text": text}], "isError": True}


def _excerpt(body: bytes) -> str:
    text = " ".join(body[: EXCERPT * 4].decode("utf-8", errors="replace").split())
    return text[:EXCERPT] + ("…" if len(text) > EXCERPT else "")


class OpenAPIService:
    """A loaded spec and the HTTP client its calls go through."""

    def __init__(
        self,
        config: OpenAPIConfig,
        spec: Spec,
        operations: list[Operation],
        headers: Mapping[str, str],
        credentials: Credentials,
        client: httpx2.AsyncClient,
        timeout: float,
    ) -> None:
        self.config = config
        self.spec = spec
        self.operations = {op.tool: op for op in operations}
        self.headers = dict(headers)
        self.credentials = credentials
        self.client = client
        self.timeout = timeout
        self.passthrough = [h.lower() for h in config.passthrough_headers]
        self.validator: Any = None
        self._owns_client = False

    # ------------------------------------------------------------------ loading

    @classmethod
    async def load(
        cls,
        config: OpenAPIConfig,
        *,
        headers: Mapping[str, str] | None = None,
        fallback_url: str | None = None,
        call_timeout: float = 60.0,
        client: httpx2.AsyncClient | None = None,
    ) -> OpenAPIService:
        """Read the spec and build every tool; ``SpecError`` with one line if unusable."""
        own = client is None
        http = client or httpx2.AsyncClient(timeout=call_timeout, follow_redirects=False)
        try:
            sent = {k: str(v) for k, v in (headers or {}).items()}
            if config.url:
                document = await fetch(config.url, sent, client=http)
            else:
                document = json.loads(json.dumps(config.spec))  # a private copy
            version = check(document)
            operations = await asyncio.to_thread(
                build_operations, document, Resolver(document), version
            )
            base = base_url(document, config.url, fallback_url)
            if not base:
                raise SpecError(
                    "no base URL: servers[0].url is relative or missing and there is no spec URL"
                )
            spec = Spec(document, base, version, config.url)
            credentials = Credentials(config.security, document, config.url or base, http)
            service = cls(config, spec, operations, sent, credentials, http, call_timeout)
            service._owns_client = own
            if config.validate_requests:
                from mcphub_openapi.validation import RequestValidator

                service.validator = await asyncio.to_thread(RequestValidator, spec)
            return service
        except BaseException:
            if own:
                await http.aclose()
            raise

    async def aclose(self) -> None:
        if self._owns_client:
            await self.client.aclose()

    def tools(self) -> list[dict[str, Any]]:
        return [op.wire() for op in self.operations.values()]

    # ------------------------------------------------------------------ calls

    async def call(
        self,
        tool: str,
        arguments: dict[str, Any] | None,
        inbound_headers: Mapping[str, str] | None = None,
    ) -> dict[str, Any]:
        """Call one tool; every failure of the API is a result, not an exception."""
        op = self.operations.get(tool)
        if op is None:
            return error_result(f"Unknown tool: {tool}")
        args = arguments or {}
        try:
            built = build(op, args)
        except ArgumentError as exc:
            return error_result(f"Invalid arguments: {exc}")
        first: httpx2.Request | None = None
        if self.validator is not None:
            problem = self.validator.arguments(op, args)
            if problem is None:
                try:
                    first = await self._request(op, built, inbound_headers)
                except Exception as exc:  # noqa: BLE001 - e.g. the token endpoint failed
                    return error_result(f"{op.method.upper()} {op.path} failed: {exc}")
                problem = await asyncio.to_thread(self.validator.request, op, built, first)
            if problem:
                return error_result(problem)
        return await self._send(op, built, inbound_headers, first)

    async def _request(
        self, op: Operation, built: Built, inbound: Mapping[str, str] | None
    ) -> httpx2.Request:
        out = Outgoing(headers=dict(self.headers), query=list(built.query), cookies={})
        if inbound and self.passthrough:
            for key, value in inbound.items():
                if key.lower() in self.passthrough:
                    out.headers[key] = value
        out.headers.update(built.headers)
        out.cookies.update(built.cookies)
        if not op.public:
            await self.credentials.apply(out)
        if out.cookies:
            jar = "; ".join(f"{k}={v}" for k, v in out.cookies.items())
            out.headers["Cookie"] = "; ".join(filter(None, [out.headers.get("Cookie"), jar]))
        kwargs: dict[str, Any] = {}
        if built.has_body:
            media = op.body.media_type if op.body else "application/json"
            if media.startswith(FORM_TYPES) and isinstance(built.body, dict):
                kwargs["data"] = {
                    k: v if isinstance(v, str) else json.dumps(v) for k, v in built.body.items()
                }
            elif "json" in media or not isinstance(built.body, str | bytes):
                kwargs["content"] = json.dumps(built.body, ensure_ascii=False).encode()
                out.headers.setdefault(
                    "Content-Type", "application/json" if "json" not in media else media
                )
            else:
                kwargs["content"] = (
                    built.body.encode() if isinstance(built.body, str) else built.body
                )
                out.headers.setdefault("Content-Type", media)
        out.headers.setdefault("Accept", "application/json, */*;q=0.5")
        return self.client.build_request(
            op.method.upper(),
            self.spec.base_url + built.path,
            # httpx's list type is invariant in its value union; these are all strings.
            params=cast("list[tuple[str, str | int | float | bool | None]]", out.query),
            headers=out.headers,
            timeout=self.timeout,
            **kwargs,
        )

    async def _send(
        self,
        op: Operation,
        built: Built,
        inbound: Mapping[str, str] | None,
        first: httpx2.Request | None = None,
    ) -> dict[str, Any]:
        started = time.monotonic()
        for attempt in (1, 2):
            try:
                request = first if first is not None and attempt == 1 else None
                request = request or await self._request(op, built, inbound)
                response = await self.client.send(request, stream=True)
                try:
                    body = await _read(response)
                finally:
                    await response.aclose()
            except httpx2.TimeoutException:
                return error_result(
                    f"{op.method.upper()} {op.path} timed out after "
                    f"{time.monotonic() - started:.1f}s"
                )
            except httpx2.HTTPError as exc:
                return error_result(
                    f"{op.method.upper()} {op.path} failed: {type(exc).__name__}: {exc}"
                )
            except _TooLarge:
                return error_result(f"The response is larger than {MAX_RESPONSE_BYTES} bytes")
            except Exception as exc:  # noqa: BLE001 - e.g. the token endpoint failed
                return error_result(f"{op.method.upper()} {op.path} failed: {exc}")
            if response.status_code == 401 and attempt == 1 and self.credentials.refreshable:
                # The token may have been revoked early: fetch a new one and retry once.
                self.credentials.invalidate(request.headers.get("authorization"))
                continue
            return _result(response, body)
        raise AssertionError("unreachable")


class _TooLarge(Exception):
    pass


async def _read(response: httpx2.Response) -> bytes:
    body = bytearray()
    async for chunk in response.aiter_bytes():
        body += chunk
        if len(body) > MAX_RESPONSE_BYTES:
            raise _TooLarge
    return bytes(body)


def _result(response: httpx2.Response, body: bytes) -> dict[str, Any]:
    status = response.status_code
    content_type = response.headers.get("content-type", "").lower()
    if status >= 400:
        reason = response.reason_phrase or ""
        head = f"HTTP {status} {reason}".strip()
        return error_result(f"{head}: {_excerpt(body)}" if body else head)
    if not body:
        return {"content": [{"type": "text", "text": f"HTTP {status} (empty response)"}]}
    if "json" in content_type or not content_type:
        try:
            data = json.loads(body)
        except ValueError:
            data = _NOT_JSON
        if data is not _NOT_JSON:
            structured = data if isinstance(data, dict) else {"result": data}
            text = json.dumps(data, ensure_ascii=False)
            return {"content": [{"type": "text", "text": text}], "structuredContent": structured}
    if content_type.startswith("image/"):
        mime = content_type.split(";")[0]
        data64 = base64.b64encode(body).decode()
        return {"content": [{"type": "image", "data": data64, "mimeType": mime}]}
    try:
        text = body.decode(response.encoding or "utf-8")
    except (LookupError, UnicodeDecodeError):
        mime = content_type.split(";")[0] or "application/octet-stream"
        blob = base64.b64encode(body).decode()
        resource = {"uri": str(response.url), "mimeType": mime, "blob": blob}
        return {"content": [{"type": "resource", "resource": resource}]}
    return {"content": [{"type": "text", "text": text}]}


_NOT_JSON = object()
