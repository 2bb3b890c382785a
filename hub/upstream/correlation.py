"""Which downstream call an upstream's sampling/elicitation/roots request belongs to.

On streamable HTTP the upstream sends such a request on the call's own response stream, so
the SDK hands the callback the caller's context. A pipe (stdio) carries no such link: the
request arrives on the one shared stream. The rule, in order:

1. the caller's context, when the transport carries it (HTTP, the call's own stream);
2. what the request itself carries in ``params._meta``: ``progressToken`` (the hub sends
   every upstream request with a progress token equal to its JSON-RPC id) or
   ``io.modelcontextprotocol/related-request-id``; either must name a call still in flight
   on this upstream, else the request is refused (a stale id is not a hint to guess with);
3. the only downstream with calls in flight on this upstream;
4. otherwise nobody: the upstream gets an error naming the ambiguity, and no client is
   asked a question that may not be its own.

The ids of step 2 are learnt from the write stream (``Tap``): the dispatcher writes a
request in the task of the call that sends it, where ``current_downstream`` names the caller.
"""

from __future__ import annotations

from collections.abc import Mapping
from contextvars import ContextVar
from typing import Any, Self

import mcp.types as t

from hub.upstream.calls import Downstream

RELATED_REQUEST_KEY = "io.modelcontextprotocol/related-request-id"
CARRIED_KEYS = ("progressToken", RELATED_REQUEST_KEY)
"""The ``_meta`` keys of a server->client request that may name the call it belongs to."""


class Call:
    """One upstream call in flight: who it is for and the JSON-RPC ids it was sent under."""

    __slots__ = ("downstream", "ids")

    def __init__(self, downstream: Downstream) -> None:
        self.downstream = downstream
        self.ids: list[str] = []


current_call: ContextVar[Call | None] = ContextVar("current_upstream_call", default=None)
"""The call whose task is sending (read by ``Tap`` when a request goes out)."""


def carried_ids(meta: Mapping[str, Any] | None) -> list[str]:
    """The call ids a server->client request names in its ``_meta`` (as strings)."""
    if not meta:
        return []
    return [str(meta[k]) for k in CARRIED_KEYS if isinstance(meta.get(k), (str, int))]


def without_correlation(params: dict[str, Any] | None) -> dict[str, Any] | None:
    """The request's params as the downstream client should see them: the upstream's own
    ids mean nothing there (and a client would read a ``progressToken`` as its own)."""
    if not params or not isinstance(params.get("_meta"), dict):
        return params
    meta = {k: v for k, v in params["_meta"].items() if k not in CARRIED_KEYS}
    out = {k: v for k, v in params.items() if k != "_meta"}
    if meta:
        out["_meta"] = meta
    return out


class Tap:
    """The upstream write stream, noting the id of each request a call sends."""

    def __init__(self, inner: Any, sent: dict[str, Call]) -> None:
        self._inner = inner
        self._sent = sent

    async def send(self, item: Any) -> None:
        message = getattr(item, "message", None)
        if isinstance(message, t.JSONRPCRequest):
            call = current_call.get()
            if call is not None:
                key = str(message.id)
                call.ids.append(key)
                self._sent[key] = call
        await self._inner.send(item)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    async def aclose(self) -> None:
        await self._inner.aclose()

    def close(self) -> None:
        self._inner.close()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()
