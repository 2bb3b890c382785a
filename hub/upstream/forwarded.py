"""Requests an upstream forwards over its transport's direct link (``hub.upstream.direct``).

The same rules as ``Upstream.request`` over the SDK session (per-call timeout reset on
progress and capped by ``maxTotalTimeout``, the relay told who the call is for, a request
sent again once when the upstream forgot the session, transport errors mapped), with the
request and its answer kept as plain dicts.
"""

from __future__ import annotations

import asyncio
import logging
import math
from typing import TYPE_CHECKING, Any

import mcp.types as t
from mcp.shared.exceptions import MCPError
from pydantic import ValidationError

from hub.errors import UpstreamError
from hub.upstream.calls import current_downstream
from hub.upstream.direct import Progress, error_of

if TYPE_CHECKING:
    from hub.upstream.session import Upstream

logger = logging.getLogger(__name__)


async def request(upstream: Upstream, method: str, params: dict[str, Any] | None) -> dict[str, Any]:
    """``request`` over the transport's direct link: the same timeout, progress, relay,
    error and lost-session rules, with no SDK objects on the way."""
    options = upstream.config.call_options
    timeout = options.timeout / 1000
    loop = asyncio.get_running_loop()
    start = loop.time()
    cap = start + options.max_total_timeout / 1000 if options.max_total_timeout else math.inf
    downstream = current_downstream.get()
    rid = f"hub-{next(upstream.direct_ids)}"
    out = dict(params) if params else {}
    meta = out.get("_meta")
    out["_meta"] = (
        {**meta, "progressToken": rid} if isinstance(meta, dict) else {"progressToken": rid}
    )
    message = {"jsonrpc": "2.0", "id": rid, "method": method, "params": out}
    # asyncio's own timeout (the loop's clock, as anyio's): a third of a CancelScope's cost.
    deadline = asyncio.timeout_at(min(start + timeout, cap))

    async def on_progress(progress: float, total: float | None, text: str | None) -> None:
        if options.reset_timeout_on_progress:
            deadline.reschedule(min(loop.time() + timeout, cap))
        if downstream is not None:
            await downstream.progress(progress, total, text)

    old = upstream.session
    token = upstream.relay.enter(downstream)
    upstream.relay.track(rid)
    try:
        async with deadline:
            try:
                return await send(upstream, method, message, on_progress)
            except MCPError as exc:
                if not session_gone(exc) or old is None:
                    raise
                # The upstream restarted and forgot our session, so nothing ran: send
                # the request again once it is connected (within this call's timeout).
                upstream.lost("session terminated by the upstream")
                await upstream.next_session(old)
                return await send(upstream, method, message, on_progress)
    except TimeoutError:
        if not deadline.expired():
            raise
        elapsed = int((loop.time() - start) * 1000)
        raise UpstreamError(
            f"Request {method} to server '{upstream.name}' timed out after {elapsed} ms"
        ) from None
    except MCPError as exc:
        raise upstream.transport_error(exc) or exc from None
    finally:
        upstream.relay.leave(token)


async def log(upstream: Upstream, params: dict[str, Any]) -> None:
    """A log line that arrived during a forwarded request (``DirectLink.start``)."""
    try:
        message = t.LoggingMessageNotificationParams.model_validate(params)
    except ValidationError:
        logger.debug("Upstream %s sent an invalid log message", upstream.name)
        return
    await upstream.relay.logging(message)


async def send(
    upstream: Upstream, method: str, message: dict[str, Any], on_progress: Progress
) -> dict[str, Any]:
    """One send over the current link: the result, or the upstream's error raised."""
    link = upstream.direct
    if link is None:
        raise UpstreamError(f"Server '{upstream.name}' is not connected")
    answer = await link.send(message, on_progress)
    error = error_of(answer)
    if error is not None:
        raise error
    result = answer.get("result")
    if not isinstance(result, dict):
        raise UpstreamError(f"Server '{upstream.name}' sent an invalid {method} result")
    return result


def session_gone(exc: MCPError) -> bool:
    """A 404 for our session id: the SDK client's own wording, or the server's JSON error."""
    text = exc.message.lower()
    return text == "session terminated" or "session not found" in text
