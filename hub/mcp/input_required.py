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
from collections.abc import Awaitable, Callable, Coroutine, Mapping
from typing import Any

import mcp_types as t
from mcp.shared.exceptions import MCPError

log = logging.getLogger(__name__)

SUSPEND_TTL = 300.0
"""How long a call waits for the client to come back with its answers."""

Emit = Callable[[dict[str, Any]], Awaitable[None]]

QUESTION_SETTLE, QUESTION_SETTLE_ROUNDS = 0.02, 10
"""After a first question, wait in 20 ms steps (at most 10) while more keep arriving."""

REQUIRED_CAPABILITY = {
    "sampling/createMessage": "sampling",
    "elicitation/create": "elicitation",
    "roots/list": "roots",
}
"""The client capability each relayable server->client request needs."""


class Suspended:
    """One 2026 request whose upstream call may be waiting for client input."""

    def __init__(
        self,
        key: str,
        owner: str,
        method: str,
        name: Any,
        capabilities: Mapping[str, Any] | None = None,
    ) -> None:
        self.key = key
        self.owner = owner
        self.method = method
        self.name = name
        self.capabilities = capabilities
        """What the client declared in its envelope; None means "not checked"."""
        self.task: asyncio.Task[dict[str, Any]] | None = None
        self.asked: asyncio.Queue[str] = asyncio.Queue()
        """Wakes the waiting POST when a question is asked."""
        self.open: dict[str, dict[str, Any]] = {}
        """Questions asked and not yet answered (re-listed on every InputRequiredResult)."""
        self.waiting: dict[str, asyncio.Future[dict[str, Any]]] = {}
        self.failed: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        """Set when the call must end in a JSON-RPC error whatever the upstream does."""
        self.emit: Emit | None = None
        """Where progress goes: the POST currently waiting on this call, if any."""
        self.round = 0
        """How many ``InputRequiredResult`` answers this call has had (part of the state)."""
        self._ids = itertools.count(1)
        self.expiry: asyncio.TimerHandle | None = None

    async def ask(self, method: str, params: dict[str, Any] | None) -> dict[str, Any]:
        """Called by the upstream relay: queue a question and wait for the client's answer.

        A question the client declared no capability for is not asked: the downstream
        request fails with -32021 (HTTP 400) and the upstream gets an error answer.
        """
        needed = REQUIRED_CAPABILITY.get(method)
        if needed and self.capabilities is not None and needed not in self.capabilities:
            error = MCPError(
                t.MISSING_REQUIRED_CLIENT_CAPABILITY,
                f"This request needs the client capability '{needed}'",
                data={"requiredCapabilities": {needed: {}}},
            )
            if not self.failed.done():
                self.failed.set_result(
                    {"code": error.code, "message": error.message, "data": error.error.data}
                )
            raise error
        question = f"q{next(self._ids)}"
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self.waiting[question] = future
        self.open[question] = {"method": method, **({"params": params} if params else {})}
        self.asked.put_nowait(question)
        try:
            return await future
        finally:
            self.waiting.pop(question, None)
            self.open.pop(question, None)

    async def forward(self, msg: dict[str, Any]) -> None:
        if self.emit is not None:
            await self.emit(msg)

    def answer(self, responses: dict[str, Any]) -> None:
        """Hand the client's answers to the waiting questions; unknown keys are ignored, and
        a question whose answer is missing or not an object stays open (asked again)."""
        for question, response in responses.items():
            future = self.waiting.get(question)
            if future is None or future.done() or not isinstance(response, dict):
                continue
            self.open.pop(question, None)
            if "code" in response and "message" in response:
                future.set_exception(MCPError(int(response["code"]), str(response["message"])))
            else:
                future.set_result(response)


class Bridge:
    """The suspended 2026 calls of one hub, keyed by a signed, unguessable state."""

    def __init__(self) -> None:
        self._secret = secrets.token_bytes(32)
        self.calls: dict[str, Suspended] = {}

    def _sign(self, key: str) -> str:
        return hmac.new(self._secret, key.encode(), hashlib.sha256).hexdigest()[:32]

    def signed(self, state: str) -> bool:
        """Whether ``state`` is one this hub issued (else it may be an upstream's own)."""
        body, _, mac = state.rpartition(".")
        return bool(body) and hmac.compare_digest(mac, self._sign(body))

    def state(self, call: Suspended) -> str:
        """A new state per round, so only the latest ``InputRequiredResult`` can be answered."""
        body = f"{call.key}.{call.round}"
        return f"{body}.{self._sign(body)}"

    def find(self, state: str, owner: str, method: str, name: Any) -> Suspended:
        body, _, mac = state.rpartition(".")
        if not body or not hmac.compare_digest(mac, self._sign(body)):
            raise MCPError(t.INVALID_PARAMS, "Invalid requestState")
        key, _, round_ = body.rpartition(".")
        call = self.calls.get(key)
        if call is None or call.owner != owner or call.method != method or call.name != name:
            raise MCPError(t.INVALID_PARAMS, "Unknown or expired requestState")
        if round_ != str(call.round):
            raise MCPError(t.INVALID_PARAMS, "Stale requestState (a later round was issued)")
        return call

    def start(
        self,
        owner: str,
        method: str,
        name: Any,
        run: Callable[[Suspended], Coroutine[Any, Any, dict[str, Any]]],
        capabilities: Mapping[str, Any] | None = None,
    ) -> Suspended:
        call = Suspended(secrets.token_urlsafe(18), owner, method, name, capabilities)
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
        """The call's outcome (a JSON-RPC message without id), or None when it needs input.

        Questions still open after the client's answers (missing or malformed responses) make
        it return None at once, so the client is asked again instead of the POST hanging.
        """
        assert call.task is not None
        if call.expiry is not None:
            call.expiry.cancel()
            call.expiry = None
        if not call.open:
            asked: asyncio.Future[Any] = asyncio.ensure_future(call.asked.get())
            try:
                await asyncio.wait(
                    {call.task, asked, call.failed}, return_when=asyncio.FIRST_COMPLETED
                )
            finally:
                if not asked.done():
                    asked.cancel()
            # Questions asked together (concurrent requests of one call) go out together.
            for _ in range(QUESTION_SETTLE_ROUNDS):
                seen = len(call.open)
                await asyncio.wait({call.task, call.failed}, timeout=QUESTION_SETTLE)
                if call.task.done() or call.failed.done() or len(call.open) == seen:
                    break
        if call.failed.done():
            self.drop(call)
            return {"jsonrpc": "2.0", "error": call.failed.result()}
        if call.task.done():
            return call.task.result()
        call.expiry = asyncio.get_running_loop().call_later(SUSPEND_TTL, self.drop, call)
        return None

    def input_required(self, call: Suspended, stamp: dict[str, Any]) -> dict[str, Any]:
        """The ``InputRequiredResult`` listing every question still open."""
        while not call.asked.empty():
            call.asked.get_nowait()
        call.round += 1
        return {
            "resultType": "input_required",
            "inputRequests": dict(call.open),
            "requestState": self.state(call),
            "_meta": stamp,
        }
