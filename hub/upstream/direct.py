"""The direct link: forwarding one JSON-RPC request to an upstream as plain dicts.

A proxied ``tools/call`` needs none of what the SDK's ``ClientSession`` builds per request
(pydantic request and result models, a response stream, a task per POST): the hub rewrites
the name and the id and passes the message on. A transport that can do so yields a
``DirectLink`` next to the SDK's message streams (``Linked``); the upstream's owner still
runs the SDK session over those streams for the handshake, listings, pings and everything
the upstream starts (notifications, sampling, elicitation, roots), and the link hands every
message that is not the answer to its own request, or progress on it, to that session.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any, NamedTuple, Protocol

import mcp.types as t
from mcp.shared.exceptions import MCPError

Message = dict[str, Any]
Progress = Callable[[float, float | None, str | None], Coroutine[Any, Any, None]]
"""Progress on a request: (progress, total, message)."""
LogSink = Callable[[dict[str, Any]], Coroutine[Any, Any, None]]
"""Where an upstream's log line (``notifications/message`` params) goes."""


class DirectLink(Protocol):
    """What a transport offers to send one request without SDK objects."""

    def start(self, protocol_version: str, on_log: LogSink) -> None:
        """Called once the SDK session has completed the handshake: requests may go now,
        stamped with the negotiated ``protocol_version`` where the transport needs it.
        ``on_log`` takes the params of a ``notifications/message`` the upstream sends while
        a forwarded request is out, before that request's answer is returned (the SDK
        session would see it later, after the call had ended)."""

    async def send(self, message: Message, on_progress: Progress | None) -> Message:
        """Send the request ``message`` (its ``id`` a string the SDK never uses) and return
        the upstream's response message (``result`` or ``error``). ``on_progress`` receives
        ``notifications/progress`` whose token is the request id. Cancelling the caller
        tells the upstream (``notifications/cancelled``). Raises ``MCPError`` with
        ``CONNECTION_CLOSED`` when the connection ends first, and "Session terminated"
        when the upstream forgot the session."""
        ...


class Linked(NamedTuple):
    """What a transport's ``open`` may yield instead of the bare ``(read, write)`` pair."""

    read: Any
    write: Any
    direct: DirectLink | None


def error_of(message: Message) -> MCPError | None:
    """The ``MCPError`` of an error response, None for a result."""
    error = message.get("error")
    if error is None:
        return None
    if not isinstance(error, dict):
        return MCPError(t.INTERNAL_ERROR, "malformed error response")
    code = error.get("code")
    text = error.get("message")
    return MCPError(
        code if isinstance(code, int) else t.INTERNAL_ERROR,
        text if isinstance(text, str) else "",
        error.get("data"),
    )


def progress_of(message: Message) -> tuple[Any, float, float | None, str | None] | None:
    """(token, progress, total, message) of a ``notifications/progress``, else None."""
    if message.get("method") != "notifications/progress":
        return None
    params = message.get("params")
    if not isinstance(params, dict):
        return None
    progress = params.get("progress")
    if not isinstance(progress, int | float):
        return None
    total = params.get("total")
    text = params.get("message")
    return (
        params.get("progressToken"),
        float(progress),
        float(total) if isinstance(total, int | float) else None,
        text if isinstance(text, str) else None,
    )


def log_params(message: Message) -> dict[str, Any] | None:
    """The params of a ``notifications/message``, else None."""
    if message.get("method") != "notifications/message":
        return None
    params = message.get("params")
    return params if isinstance(params, dict) else None


def connection_closed() -> MCPError:
    return MCPError(t.CONNECTION_CLOSED, "Connection closed")


def cancelled_notification(request_id: str) -> Message:
    """The notification that tells an upstream its request was abandoned."""
    return {
        "jsonrpc": "2.0",
        "method": "notifications/cancelled",
        "params": {"requestId": request_id, "reason": "cancelled by the hub's caller"},
    }
