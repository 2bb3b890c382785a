"""Server->client traffic of one upstream, relayed to the downstream caller it belongs to.

The SDK gives a sampling/elicitation/roots callback no link to the call that caused it;
``hub.upstream.correlation`` holds the rule that finds it (the caller's context on HTTP,
ids the request carries in ``_meta``, the only caller in flight) and anything else is
answered with an error rather than guessed.
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
from hub.upstream.correlation import Call, carried_ids, current_call, without_correlation

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
        self.sent: dict[str, Call] = {}
        """Calls in flight by the JSON-RPC id of each request they sent (``Tap`` fills it)."""
        self._ids = itertools.count()

    def enter(self, downstream: Downstream | None) -> tuple[int, Any] | None:
        if downstream is None:
            return None
        token = next(self._ids)
        self.inflight[token] = downstream
        return token, current_call.set(Call(downstream))

    def leave(self, token: tuple[int, Any] | None) -> None:
        if token is None:
            return
        key, var_token = token
        self.inflight.pop(key, None)
        call = current_call.get()
        current_call.reset(var_token)
        if call is not None:
            for rid in call.ids:
                self.sent.pop(rid, None)

    def track(self, request_id: str) -> None:
        """Note a request the current call sent past the SDK session (the direct link,
        ``hub.upstream.forwarded``), as ``Tap`` notes those written through it."""
        call = current_call.get()
        if call is not None:
            call.ids.append(request_id)
            self.sent[request_id] = call

    def downstream(self, meta: Any = None) -> Downstream | None:
        """The caller a request or notification belongs to (``hub.upstream.correlation``)."""
        found = current_downstream.get()
        if found is not None:
            return found
        carried = carried_ids(meta if isinstance(meta, dict) else None)
        if carried:
            call = next((self.sent[i] for i in carried if i in self.sent), None)
            return call.downstream if call is not None else None
        callers = {id(d): d for d in self.inflight.values()}
        return next(iter(callers.values())) if len(callers) == 1 else None

    def _unrelated(self, method: str, meta: Any) -> MCPError:
        carried = carried_ids(meta if isinstance(meta, dict) else None)
        if carried:
            why = f"it names request {carried[0]}, which is not a call in flight"
        elif self.inflight:
            callers = len({id(d) for d in self.inflight.values()})
            why = (
                f"{callers} downstream callers have calls in flight and the request names none "
                "of them (send _meta.progressToken or io.modelcontextprotocol/related-request-id)"
            )
        else:
            why = "no call is in flight"
        return MCPError(t.INVALID_REQUEST, f"{method}: no downstream client to relay to: {why}")

    async def _ask(self, method: str, params: dict[str, Any] | None, meta: Any) -> dict[str, Any]:
        downstream = self.downstream(meta)
        if downstream is None:
            raise self._unrelated(method, meta)
        return await downstream.request(method, without_correlation(params))

    async def _relay(self, ctx: ClientRequestContext, method: str, params: Any, parse: Any) -> Any:
        wire = (
            params.model_dump(by_alias=True, mode="json", exclude_none=True)
            if params is not None
            else None
        )
        try:
            return parse(await self._ask(method, wire, ctx.meta))
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

        result: Any = await self._relay(ctx, "sampling/createMessage", params, parse)
        return result  # type: ignore[no-any-return]

    async def elicitation(
        self, ctx: ClientRequestContext, params: t.ElicitRequestParams
    ) -> t.ElicitResult | t.ErrorData:
        result: Any = await self._relay(
            ctx, "elicitation/create", params, t.ElicitResult.model_validate
        )
        return result  # type: ignore[no-any-return]

    async def roots(self, ctx: ClientRequestContext) -> t.ListRootsResult | t.ErrorData:
        result: Any = await self._relay(ctx, "roots/list", None, t.ListRootsResult.model_validate)
        return result  # type: ignore[no-any-return]

    async def logging(self, params: t.LoggingMessageNotificationParams) -> None:
        """Upstream ``notifications/message`` into the hub log (tagged with the server name),
        and on to the downstream caller it belongs to, which applies its own level filter."""
        downstream = self.downstream(params.meta)
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
