"""The streamable-HTTP transport's direct link (``hub.plugin_api.DirectLink``).

A forwarded request is one POST with the SDK transport's session id and the negotiated
protocol version, through the connection's own ``httpx2`` client (so OAuth, the passthrough
and 401 hooks, the egress guard and the lean pool all apply) and the SDK's origin-bound
redirect rule. A JSON answer is returned as parsed; on an SSE answer, progress on the
request goes to its callback and everything else the upstream sends there (log lines,
sampling, elicitation, roots) is handed to the SDK session, in the caller's context, as the
SDK's own transport would have done.

``open_streamable`` is the SDK's ``streamable_http_client`` with its transport object kept,
which the link reads the session id from.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from typing import Any

import anyio
import httpx2
import mcp.types as t
from mcp.client.streamable_http import StreamableHTTPTransport, _unfollowed_redirect
from mcp.shared._context_streams import ContextSendStream, create_context_streams
from mcp.shared._httpx_utils import stream_within_origin
from mcp.shared.exceptions import MCPError
from mcp.shared.message import SessionMessage

from hub.plugin_api import (
    Linked,
    LogSink,
    Progress,
    cancelled_notification,
    current_downstream,
    json_dumps,
    json_loads,
    log_params,
    progress_of,
)
from mcphub_http.client import ClientParts, lookup_header
from mcphub_http.lean import read_body

log = logging.getLogger(__name__)

MAX_SSE_EVENT = 1024 * 1024
"""Bytes one SSE event of an answer may take (the SDK's default)."""


SKIPPED_HEADERS = frozenset({b"accept", b"accept-encoding", b"content-type", b"content-length"})
"""Client default headers the direct link sets itself (or leaves out: no compressed answers)."""
RESEND = frozenset({401, 403, 307, 308})
"""Answers to a direct POST that mean the request did not run and the client must handle
it (OAuth, scope step-up, redirects): the request is sent again through ``httpx2``."""


class HttpLink:
    """Forwarded requests of one streamable-HTTP upstream session.

    When the client's transport is the lean pool, requests are encoded here and handed to it
    as bytes, skipping ``httpx2``'s request, auth, redirect and cookie layers (about a tenth
    of a millisecond per call); the bearer token of the OAuth provider, the passthrough
    headers and the client's own headers are added the same way. Anything that needs those
    layers (an expired token, a 401/403, a redirect, cookies) goes through ``httpx2``.
    """

    def __init__(
        self,
        parts: ClientParts,
        url: str,
        transport: StreamableHTTPTransport,
        to_session: ContextSendStream[SessionMessage | Exception],
    ) -> None:
        self._client = parts.client
        self._parts = parts
        self._url = url
        self._transport = transport
        self._to_session = to_session
        self._version = ""
        self._headers: dict[str, str] = {}
        self._headers_for: str | None = None
        self._prefix = b""
        self._tasks: set[asyncio.Task[None]] = set()
        self._on_log: LogSink | None = None
        target = httpx2.URL(url)
        self._origin = (
            target.scheme,
            target.host,
            target.port or (443 if target.scheme == "https" else 80),
        )
        self._request_line = (
            b"POST " + target.raw_path + b" HTTP/1.1\r\nHost: " + target.netloc + b"\r\n"
        )
        self._timeouts = {**self._client.timeout.as_dict(), "read": None}
        """The client's timeouts, but no read deadline: the call's own timeout (the server's
        ``timeout`` option, reset on progress) bounds the wait for the answer."""
        self._request = httpx2.Request("POST", url)
        """Stands for the sent request on direct responses (SSE parsing and cookies ask)."""

    def start(self, protocol_version: str, on_log: LogSink) -> None:
        self._version = protocol_version
        self._on_log = on_log

    def _request_headers(self) -> dict[str, str]:
        """Built once per session id (it only changes on a new handshake)."""
        sid = self._transport.session_id
        if sid != self._headers_for or not self._headers:
            headers = {
                "accept": "application/json, text/event-stream",
                "content-type": "application/json",
                "mcp-protocol-version": self._version,
            }
            if sid:
                headers["mcp-session-id"] = sid
            self._headers, self._headers_for = headers, sid
            self._prefix = self._encode_prefix(headers)
        return self._headers

    def _encode_prefix(self, headers: dict[str, str]) -> bytes:
        parts = [self._request_line]
        parts.extend(
            name + b": " + value + b"\r\n"
            for name, value in self._client.headers.raw
            if name.lower() not in SKIPPED_HEADERS
            and name.lower() not in (b"host", b"mcp-session-id")
        )
        parts.extend(f"{name}: {value}\r\n".encode() for name, value in headers.items())
        return b"".join(parts)

    def _bearer(self) -> tuple[bool, str | None]:
        """(usable, token): whether the direct path may send now, with which bearer token."""
        provider = self._parts.provider
        if provider is None:
            return True, None
        context = provider.context
        if context.current_tokens is None:
            # Nothing to add until the provider holds a token (a 401 sends it through httpx2).
            return bool(getattr(provider, "_initialized", False)), None
        if not context.is_token_valid():
            return False, None  # the provider refreshes it on the way through httpx2
        return True, context.current_tokens.access_token

    async def _post_direct(self, body: bytes) -> httpx2.Response | bytes | None:
        """The POST through the lean pool: a plain JSON answer's body, or the response;
        None when it must go through ``httpx2``."""
        lean = self._parts.lean
        if lean is None or self._client.cookies:
            return None
        usable, token = self._bearer()
        if not usable:
            return None
        self._request_headers()
        extra = []
        if token is not None:
            extra.append(f"Authorization: Bearer {token}\r\n".encode())
        if self._parts.passthrough:
            downstream = current_downstream.get()
            if downstream is not None:
                for name in self._parts.passthrough:
                    value = lookup_header(downstream.headers, name)
                    if value is not None:
                        extra.append(f"{name}: {value}\r\n".encode())
        extra.append(b"Content-Length: %d\r\n\r\n" % len(body))
        message = self._prefix + b"".join(extra) + body
        response = await lean.send_for_json(self._origin, message, self._timeouts)
        if isinstance(response, bytes):
            return response
        response.request = self._request
        status = response.status_code
        if status == 401:
            self._parts.probe.unauthorized = True
        if status in RESEND:
            await response.aclose()
            return None
        if "set-cookie" in response.headers:
            self._client.cookies.extract_cookies(response)
        return response

    async def send(self, message: dict[str, Any], on_progress: Progress | None) -> dict[str, Any]:
        rid = message["id"]
        body = json_dumps(message)
        done = False
        try:
            response = await self._post_direct(body)
            if isinstance(response, bytes):
                answer = self._parsed(response)
                done = True
                return answer
            if response is not None:
                try:
                    answer = await self._answer(response, rid, on_progress)
                finally:
                    await response.aclose()
                done = True
                return answer
            async with stream_within_origin(
                self._client, "POST", self._url, content=body, headers=self._request_headers()
            ) as response:
                answer = await self._answer(response, rid, on_progress)
                done = True
                return answer
        except httpx2.TransportError as exc:
            raise MCPError(t.CONNECTION_CLOSED, f"Connection closed: {exc}") from exc
        finally:
            if not done:
                self._tell_cancelled(rid)

    async def _answer(
        self, response: httpx2.Response, rid: str, on_progress: Progress | None
    ) -> dict[str, Any]:
        status = response.status_code
        if status == 202:
            raise MCPError(t.INVALID_REQUEST, "server answered a request with 202 Accepted")
        if (redirect := _unfollowed_redirect(response)) is not None:
            raise MCPError(t.INVALID_REQUEST, redirect)
        content_type = response.headers.get("content-type", "").lower()
        if status >= 400:
            if content_type.startswith("application/json"):
                with contextlib.suppress(httpx2.StreamError, ValueError):
                    parsed = json_loads(await read_body(response))
                    if isinstance(parsed, dict) and isinstance(parsed.get("error"), dict):
                        return {"jsonrpc": "2.0", "id": rid, "error": parsed["error"]}
            if status == 404 and self._transport.session_id is not None:
                raise MCPError(t.INVALID_REQUEST, "Session terminated")
            if status == 404:
                raise MCPError(t.METHOD_NOT_FOUND, "Not Found")
            raise MCPError(t.INTERNAL_ERROR, "Server returned an error response")
        if content_type.startswith("application/json"):
            return self._parsed(await read_body(response))
        if content_type.startswith("text/event-stream"):
            return await self._events(response, rid, on_progress)
        raise MCPError(t.INVALID_REQUEST, f"Unexpected content type: {content_type}")

    @staticmethod
    def _parsed(body: bytes) -> dict[str, Any]:
        try:
            parsed = json_loads(body)
        except ValueError as exc:
            raise MCPError(t.PARSE_ERROR, f"Failed to parse JSON response: {exc}") from None
        if not isinstance(parsed, dict):
            raise MCPError(t.PARSE_ERROR, "Failed to parse JSON response: not an object")
        return parsed

    async def _events(
        self, response: httpx2.Response, rid: str, on_progress: Progress | None
    ) -> dict[str, Any]:
        try:
            async for event in httpx2.EventSource(response, max_event_size=MAX_SSE_EVENT):
                if event.event != "message" or not event.data:
                    continue
                try:
                    message = json_loads(event.data)
                except ValueError:
                    log.warning("Upstream sent an unparsable SSE message; ignored")
                    continue
                if not isinstance(message, dict):
                    continue
                if message.get("id") == rid and "method" not in message:
                    return message
                progress = progress_of(message)
                if progress is not None and progress[0] == rid:
                    if on_progress is not None:
                        await on_progress(*progress[1:])
                    continue
                params = log_params(message)
                if params is not None and self._on_log is not None:
                    await self._on_log(params)
                    continue
                await self._hand_over(message)
        except httpx2.SSEError as exc:
            raise MCPError(t.CONNECTION_CLOSED, f"SSE stream failed: {exc}") from None
        raise MCPError(t.CONNECTION_CLOSED, "SSE stream ended without a response")

    async def _hand_over(self, message: dict[str, Any]) -> None:
        """Anything else the upstream sent on our POST goes to the SDK session, sent from the
        caller's task so its context (the downstream caller) travels with it."""
        try:
            parsed = t.jsonrpc_message_adapter.validate_python(message, by_name=False)
        except ValueError:
            log.warning("Upstream sent an invalid JSON-RPC message; ignored")
            return
        with contextlib.suppress(anyio.ClosedResourceError, anyio.BrokenResourceError):
            await self._to_session.send(SessionMessage(parsed))

    def _tell_cancelled(self, rid: str) -> None:
        """The caller gave up (or the connection failed): tell the upstream, off this task."""

        async def post() -> None:
            with contextlib.suppress(Exception):
                await self._client.post(
                    self._url,
                    content=json_dumps(cancelled_notification(rid)),
                    headers=self._request_headers(),
                )

        try:
            spawned = asyncio.get_running_loop().create_task(post())
        except RuntimeError:  # no loop any more: the hub is stopping
            return
        self._tasks.add(spawned)
        spawned.add_done_callback(self._tasks.discard)


@contextlib.asynccontextmanager
async def open_streamable(url: str, parts: ClientParts) -> AsyncIterator[Linked]:
    """The SDK's streamable HTTP client transport (session DELETEd on close) plus the link."""
    client = parts.client
    transport = StreamableHTTPTransport(url)
    read_writer, read_stream = create_context_streams[SessionMessage | Exception](0)
    write_stream, write_reader = create_context_streams[SessionMessage](0)
    async with (
        read_writer,
        read_stream,
        write_stream,
        write_reader,
        anyio.create_task_group() as tg,
    ):

        def start_get_stream() -> None:
            tg.start_soon(transport.handle_get_stream, client, read_writer)

        tg.start_soon(
            transport.post_writer,
            client,
            write_reader,
            read_writer,
            write_stream,
            start_get_stream,
            tg,
        )
        try:
            yield Linked(read_stream, write_stream, HttpLink(parts, url, transport, read_writer))
        finally:
            if transport.session_id:
                await transport.terminate_session(client)
            tg.cancel_scope.cancel()
