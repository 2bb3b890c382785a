"""Server->client traffic of one upstream, relayed to the downstream caller it belongs to.

The SDK gives a sampling/elicitation/roots callback no link to the call that caused it.
The caller's ``current_downstream`` is visible when the upstream sends the request on the
call's own stream (streamable HTTP); otherwise, if exactly one downstream has a call in
flight on this upstream, it is that one. Anything else is answered with an error rather
than guessed.
"""

from __future__ import annotations

import itertools
import logging
from typing import Any

import mcp.types as t
from mcp.client.session import ClientRequestContext
from mcp.shared.exceptions import MCPError
from pydantic import ValidationError

from hub.upstream.calls import Downstream, current_downstream

log = logging.getLogger(__name__)
child_log = logging.getLogger("hub.upstream")

_LEVELS = {
    "debug": logging.DEBUG,
    "info": logging.INFO,
    "notice": logging.INFO,
    "warning": logging.WARNING,
    "error": logging.ERROR,
    "critical": logging.CRITICAL,
    "alert": logging.CRITICAL,
    "emergency": logging.CRITICAL,
}


class Relay:
    """Tracks which downstreams have calls in flight and answers the upstream's requests."""

    def __init__(self, name: str) -> None:
        self.name = name
        """The upstream server's name, for log lines."""
        self.inflight: dict[int, Downstream] = {}
        self._ids = itertools.count()

    def enter(self, downstream: Downstream | None) -> int | None:
        if downstream is None:
            return None
        token = next(self._ids)
        self.inflight[token] = downstream
        return token

    def leave(self, token: int | None) -> None:
        if token is not None:
            self.inflight.pop(token, None)

    def downstream(self) -> Downstream | None:
        found = current_downstream.get()
        if found is not None:
            return found
        callers = {id(d): d for d in self.inflight.values()}
        return next(iter(callers.values())) if len(callers) == 1 else None

    async def _ask(self, method: str, params: dict[str, Any] | None) -> dict[str, Any]:
        downstream = self.downstream()
        if downstream is None:
            raise MCPError(
                t.INVALID_REQUEST, f"{method}: no downstream client to relay this request to"
            )
        return await downstream.request(method, params)

    async def _relay(self, method: str, params: Any, parse: Any) -> Any:
        wire = (
            params.model_dump(by_alias=True, mode="json", exclude_none=True)
            if params is not None
            else None
        )
        try:
            return parse(await self._ask(method, wire))
        except MCPError as exc:
            return exc.error
        except ValidationError as exc:
            return t.ErrorData(code=t.INTERNAL_ERROR, message=f"invalid {method} result: {exc}")
        except Exception as exc:  # noqa: BLE001 - the upstream must always get an answer
            log.warning("Relaying %s for %s failed: %s", method, self.name, exc)
            return t.ErrorData(code=t.INTERNAL_ERROR, message=f"{method} failed")

    async def sampling(
        self, ctx: ClientRequestContext, params: t.CreateMessageRequestParams
    ) -> t.CreateMessageResult | t.CreateMessageResultWithTools | t.ErrorData:
        def parse(d: dict[str, Any]) -> Any:
            if isinstance(d.get("content"), list):
                return t.CreateMessageResultWithTools.model_validate(d)
            return t.CreateMessageResult.model_validate(d)

        result: Any = await self._relay("sampling/createMessage", params, parse)
        return result  # type: ignore[no-any-return]

    async def elicitation(
        self, ctx: ClientRequestContext, params: t.ElicitRequestParams
    ) -> t.ElicitResult | t.ErrorData:
        result: Any = await self._relay("elicitation/create", params, t.ElicitResult.model_validate)
        return result  # type: ignore[no-any-return]

    async def roots(self, ctx: ClientRequestContext) -> t.ListRootsResult | t.ErrorData:
        result: Any = await self._relay("roots/list", None, t.ListRootsResult.model_validate)
        return result  # type: ignore[no-any-return]

    async def logging(self, params: t.LoggingMessageNotificationParams) -> None:
        """Upstream ``notifications/message`` into the hub log (tagged with the server name),
        and on to the downstream caller it belongs to, which applies its own level filter."""
        downstream = self.downstream()
        forward = getattr(downstream, "log", None)
        if forward is not None:
            try:
                await forward(params.model_dump(by_alias=True, mode="json", exclude_none=True))
            except Exception as exc:  # noqa: BLE001 - a log line must never fail the call
                log.debug("Relaying a log message from %s failed: %s", self.name, exc)
        data = params.data
        text = data if isinstance(data, str) else repr(data)
        if params.logger:
            text = f"{params.logger}: {text}"
        child_log.log(
            _LEVELS.get(params.level, logging.INFO),
            "%s",
            text,
            extra={"source": self.name},
        )
