"""Server->client requests on the 2026 wire: the upstream call waits, the client retries.

A 2026 client cannot be sent a request. When an upstream asks for sampling, elicitation or
roots during a 2026 call, the call keeps running in a task while the POST answers an
``InputRequiredResult`` carrying the questions and a signed ``requestState``. The client
retries the same request with ``inputResponses``; the answers go to the waiting upstream
and the POST waits again, for the result or for the next questions.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import itertools
import logging
import secrets
from collections.abc import Awaitable, Callable
from typing import Any

import mcp_types as t
from mcp.shared.exceptions import MCPError

log = logging.getLogger(__name__)

SUSPEND_TTL = 300.0
"""How long a call waits for the client to come back with its answers."""

Emit = Callable[[dict[str, Any]], Awaitable[None]]


class Suspended:
    """One 2026 request whose upstream call may be waiting for client input."""

    def __init__(self, key: str, owner: str, method: str, name: Any) -> None:
        self.key = key
        self.owner = owner
        self.method = method
        self.name = name
        self.task: asyncio.Task[dict[str, Any]] | None = None
        self.asked: asyncio.Queue[tuple[str, str, dict[str, Any] | None]] = asyncio.Queue()
        self.waiting: dict[str, asyncio.Future[dict[str, Any]]] = {}
        self.emit: Emit | None = None
        """Where progress goes: the POST currently waiting on this call, if any."""
        self._ids = itertools.count(1)
        self.expiry: asyncio.TimerHandle | None = None

    async def ask(self, method: str, params: dict[str, Any] | None) -> dict[str, Any]:
        """Called by the upstream relay: queue a question and wait for the client's answer."""
        question = f"q{next(self._ids)}"
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self.waiting[question] = future
        self.asked.put_nowait((question, method, params))
        try:
            return await future
        finally:
            self.waiting.pop(question, None)

    async def forward(self, msg: dict[str, Any]) -> None:
        if self.emit is not None:
            await self.emit(msg)

    def answer(self, responses: dict[str, Any]) -> None:
        for question, response in responses.items():
            future = self.waiting.get(question)
            if future is None or future.done():
                continue
            if isinstance(response, dict) and "code" in response and "message" in response:
                future.set_exception(MCPError(int(response["code"]), str(response["message"])))
            else:
                future.set_result(response if isinstance(response, dict) else {})


class Bridge:
    """The suspended 2026 calls of one hub, keyed by a signed, unguessable state."""

    def __init__(self) -> None:
        self._secret = secrets.token_bytes(32)
        self.calls: dict[str, Suspended] = {}

    def _sign(self, key: str) -> str:
        return hmac.new(self._secret, key.encode(), hashlib.sha256).hexdigest()[:32]

    def state(self, call: Suspended) -> str:
        return f"{call.key}.{self._sign(call.key)}"

    def find(self, state: str, owner: str, method: str, name: Any) -> Suspended:
        key, _, mac = state.partition(".")
        if not hmac.compare_digest(mac, self._sign(key)):
            raise MCPError(t.INVALID_PARAMS, "Invalid requestState")
        call = self.calls.get(key)
        if call is None or call.owner != owner or call.method != method or call.name != name:
            raise MCPError(t.INVALID_PARAMS, "Unknown or expired requestState")
        return call

    def start(
        self, owner: str, method: str, name: Any, run: Callable[[Suspended], Awaitable[Any]]
    ) -> Suspended:
        call = Suspended(secrets.token_urlsafe(18), owner, method, name)
        call.task = asyncio.get_running_loop().create_task(run(call))
        self.calls[call.key] = call
        call.task.add_done_callback(lambda _: self.drop(call))
        return call

    def drop(self, call: Suspended) -> None:
        self.calls.pop(call.key, None)
        if call.expiry is not None:
            call.expiry.cancel()
        if call.task is not None and not call.task.done():
            call.task.cancel()

    async def wait(self, call: Suspended) -> dict[str, Any] | None:
        """The call's outcome, or None when it needs input (the questions are queued)."""
        assert call.task is not None
        if call.expiry is not None:
            call.expiry.cancel()
            call.expiry = None
        asked = asyncio.ensure_future(call.asked.get())
        try:
            await asyncio.wait({call.task, asked}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            if not asked.done():
                asked.cancel()
        if asked.done() and not asked.cancelled():
            call.asked.put_nowait(asked.result())
        if call.task.done():
            return call.task.result()
        call.expiry = asyncio.get_running_loop().call_later(SUSPEND_TTL, self.drop, call)
        return None

    def input_required(self, call: Suspended, stamp: dict[str, Any]) -> dict[str, Any]:
        """The ``InputRequiredResult`` listing every question asked so far."""
        requests: dict[str, Any] = {}
        while not call.asked.empty():
            question, method, params = call.asked.get_nowait()
            requests[question] = {"method": method, **({"params": params} if params else {})}
        return {
            "resultType": "input_required",
            "inputRequests": requests,
            "requestState": self.state(call),
            "_meta": stamp,
        }
