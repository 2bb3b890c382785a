"""The 2026-07-28 wire to upstreams that speak it (``protocolEra: "auto"``).

Such an upstream's connection opens with ``server/discover`` instead of ``initialize``
(the SDK's own probe, falling back to the handshake for a 2025-only server). The era is
then fixed for the connection's life, as a stdio pipe requires, and read from the session
on every call (an attribute, no request). On a 2026 connection:

- a 2026 downstream request goes out with the client's own ``_meta`` (capabilities, client
  info, log level), and the upstream's ``InputRequiredResult`` comes back as it was written
  (question keys, grouping, ``requestState``); the client's retry goes back unchanged;
- any other caller (a 2025 session, a REST call) gets the hub's envelope, and the hub answers
  the upstream's ``inputRequests`` by asking that caller, then retries with the answers;
- liveness is a ``server/discover`` (there is no ``ping``), and list changes (and updates of
  resources 2025 callers subscribed to) arrive on a ``subscriptions/listen`` stream the hub
  keeps open; a 2025 caller's log lines are asked for with ``_meta.logLevel``.

A 2025-only upstream (or one without the setting) keeps the handshake; 2026 callers reach
it through the hub's MRTR bridge (``hub.mcp.input_required``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import weakref
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import mcp.types as t
from mcp import ClientSession
from mcp.client._probe import negotiate_auto
from mcp.client.subscriptions import (
    PromptsListChanged,
    ResourcesListChanged,
    ResourceUpdated,
    ToolsListChanged,
    listen,
)
from mcp.shared.exceptions import MCPError
from mcp.shared.inbound import (
    MCP_METHOD_HEADER,
    MCP_NAME_HEADER,
    MCP_PROTOCOL_VERSION_HEADER,
    NAME_BEARING_METHODS,
    encode_header_value,
)
from mcp_types import (
    CLIENT_CAPABILITIES_META_KEY,
    CLIENT_INFO_META_KEY,
    LOG_LEVEL_META_KEY,
    PROTOCOL_VERSION_META_KEY,
)
from mcp_types.version import MODERN_PROTOCOL_VERSIONS

from hub import __version__
from hub.config.models import ServerConfig
from hub.errors import UpstreamError
from hub.upstream.transport import one_line

log = logging.getLogger(__name__)

AUTO = "auto"
"""The ``protocolEra`` value that turns discovery on."""
MAX_ROUNDS = 10
"""``InputRequiredResult`` rounds the hub answers for a non-2026 caller before giving up."""

HUB_INFO = {"name": "mcphub", "version": __version__}
HUB_CAPABILITIES: dict[str, Any] = {
    "sampling": {},
    "elicitation": {"form": {}, "url": {}},
    "roots": {"listChanged": True},
}
"""What the hub declares for its own callers: it relays each question to the caller, whose
own answer (or error) goes back to the upstream."""

Progress = Callable[[float, float | None, str | None], Awaitable[None]]
Deliver = Callable[[Any], Awaitable[None]]


def speaks_2026(session: ClientSession | None) -> bool:
    """Whether this connection negotiated the 2026 wire."""
    return session is not None and session.protocol_version in MODERN_PROTOCOL_VERSIONS


async def negotiate(session: ClientSession, config: ServerConfig) -> t.InitializeResult:
    """``initialize``, or with ``protocolEra: auto`` the discover probe first; a 2026 answer
    comes back in the shape of an ``InitializeResult`` (capabilities, info, instructions)."""
    if config.protocol_era != AUTO:
        return await session.initialize()
    await negotiate_auto(session)
    if session.initialize_result is not None:
        return session.initialize_result
    found = session.discover_result
    assert found is not None  # negotiate_auto adopted one or the other
    info = session.server_info or t.Implementation(name="unknown", version="unknown")
    return t.InitializeResult(
        protocol_version=str(session.protocol_version),
        capabilities=found.capabilities,
        server_info=info,
        instructions=found.instructions,
    )


def liveness(session: ClientSession) -> Callable[[], Awaitable[Any]]:
    """The keep-alive probe: ``ping``, or ``server/discover`` on the 2026 wire (no ping)."""
    if speaks_2026(session):
        version = str(session.protocol_version)
        return lambda: session.send_discover(version)
    return session.send_ping


class Watcher:
    """The ``subscriptions/listen`` stream of one 2026 connection.

    It carries list changes and the resource updates 2025 callers subscribed to (the 2026
    wire has no ``resources/subscribe``): a change of the URI set re-opens the stream.
    """

    def __init__(self, session: ClientSession, name: str, deliver: Deliver) -> None:
        self.session = session
        self.name = name
        self.deliver = deliver
        self.uris: set[str] = set()
        self.acked = asyncio.Event()
        self._changed = asyncio.Event()

    async def subscribe(self, uri: str, on: bool) -> dict[str, Any]:
        """``resources/subscribe`` / ``unsubscribe`` for a 2025 caller: the stream is
        re-opened with the new URI set; returns once the upstream acknowledged it."""
        if (uri in self.uris) != on:
            (self.uris.add if on else self.uris.discard)(uri)
            self.acked.clear()
            self._changed.set()
        await self.acked.wait()
        return {}

    async def run(self) -> None:
        caps = self.session.server_capabilities
        flags = {
            "tools_list_changed": bool(caps and caps.tools and caps.tools.list_changed),
            "prompts_list_changed": bool(caps and caps.prompts and caps.prompts.list_changed),
            "resources_list_changed": bool(caps and caps.resources and caps.resources.list_changed),
        }
        while True:
            self._changed.clear()
            uris = sorted(self.uris)
            if not any(flags.values()) and not uris:
                self.acked.set()
                await self._changed.wait()
                continue
            try:
                await self._listen(flags, uris)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - lists stay as they are; say why
                log.warning("Upstream %s: subscriptions/listen: %s", self.name, one_line(exc))
                self.acked.set()  # nobody waits for a stream that cannot open
                await self._changed.wait()

    async def _listen(self, flags: dict[str, bool], uris: list[str]) -> None:
        async with listen(
            self.session,
            tools_list_changed=flags["tools_list_changed"],
            prompts_list_changed=flags["prompts_list_changed"],
            resources_list_changed=flags["resources_list_changed"],
            resource_subscriptions=uris,
        ) as events:
            self.acked.set()
            changed = asyncio.ensure_future(self._changed.wait())
            try:
                while not self._changed.is_set():
                    following = asyncio.ensure_future(anext(events))
                    done, _ = await asyncio.wait(
                        {following, changed}, return_when=asyncio.FIRST_COMPLETED
                    )
                    if following not in done:
                        following.cancel()
                        with contextlib.suppress(BaseException):
                            await following
                        return  # the URI set changed: re-open
                    await self._deliver(following.result())
            except StopAsyncIteration:
                return
            finally:
                changed.cancel()

    async def _deliver(self, event: Any) -> None:
        if isinstance(event, ToolsListChanged):
            await self.deliver(t.ToolListChangedNotification())
        elif isinstance(event, PromptsListChanged):
            await self.deliver(t.PromptListChangedNotification())
        elif isinstance(event, ResourcesListChanged):
            await self.deliver(t.ResourceListChangedNotification())
        elif isinstance(event, ResourceUpdated):
            params = t.ResourceUpdatedNotificationParams(uri=event.uri)
            await self.deliver(t.ResourceUpdatedNotification(params=params))


_watchers: weakref.WeakKeyDictionary[ClientSession, Watcher] = weakref.WeakKeyDictionary()


@contextlib.asynccontextmanager
async def watching(session: ClientSession, name: str, deliver: Deliver) -> AsyncIterator[None]:
    """While a 2026 connection lives, its change events reach ``deliver`` as the 2025
    notifications the hub already handles (``Upstream._on_message``)."""
    if not speaks_2026(session):
        yield
        return
    watcher = _watchers[session] = Watcher(session, name, deliver)
    task = asyncio.get_running_loop().create_task(watcher.run())
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(BaseException):
            await task
        _watchers.pop(session, None)


async def request(
    session: ClientSession,
    method: str,
    params: dict[str, Any] | None,
    downstream: Any,
    on_progress: Progress,
) -> dict[str, Any]:
    """One request on a 2026 connection, for whoever ``downstream`` is (module docstring)."""
    if method in ("resources/subscribe", "resources/unsubscribe"):
        watcher = _watchers.get(session)
        uri = (params or {}).get("uri")
        if watcher is None or not isinstance(uri, str):
            raise UpstreamError(f"{method}: no subscription stream to this upstream")
        return await watcher.subscribe(uri, method == "resources/subscribe")
    client_meta = getattr(downstream, "modern_meta", None)
    if client_meta is not None:
        resume = getattr(downstream, "modern_resume", None) or {}
        return await _send(session, method, {**(params or {}), **resume}, client_meta, on_progress)
    envelope: dict[str, Any] = {
        CLIENT_INFO_META_KEY: HUB_INFO,
        CLIENT_CAPABILITIES_META_KEY: HUB_CAPABILITIES,
    }
    if getattr(downstream, "log", None) is not None:
        # The caller filters by its own level (``logging/setLevel``), so ask for everything.
        envelope[LOG_LEVEL_META_KEY] = "debug"
    out = dict(params or {})
    for _ in range(MAX_ROUNDS):
        result = await _send(session, method, out, envelope, on_progress)
        if result.get("resultType") != "input_required":
            return result
        asked = result.get("inputRequests") or {}
        answers = {key: await _answer(downstream, method, ask) for key, ask in asked.items()}
        out = {**(params or {}), "inputResponses": answers}
        if result.get("requestState") is not None:
            out["requestState"] = result["requestState"]
    raise UpstreamError(f"{method}: the upstream asked for input more than {MAX_ROUNDS} times")


async def _answer(downstream: Any, method: str, asked: Any) -> dict[str, Any]:
    """Ask the caller one of the upstream's questions (a 2025 session gets a request)."""
    if downstream is None or not isinstance(asked, dict) or "method" not in asked:
        raise UpstreamError(f"{method}: the upstream asked for input no caller can give")
    try:
        answer: dict[str, Any] = await downstream.request(asked["method"], asked.get("params"))
    except MCPError as exc:  # the caller declined or cannot answer: the call fails, said why
        raise UpstreamError(f"{method}: {asked['method']} failed: {exc.message}") from None
    return answer


async def _send(
    session: ClientSession,
    method: str,
    params: dict[str, Any],
    envelope: Any,
    on_progress: Progress,
) -> dict[str, Any]:
    version = str(session.protocol_version)
    out = dict(params)
    meta = {**dict(out.get("_meta") or {}), **envelope}
    meta.pop("progressToken", None)  # the dispatcher sets its own, to relay progress
    meta[PROTOCOL_VERSION_META_KEY] = version
    out["_meta"] = meta
    headers = {MCP_PROTOCOL_VERSION_HEADER: version, MCP_METHOD_HEADER: method}
    name_key = NAME_BEARING_METHODS.get(method)
    if name_key is not None and isinstance(name := out.get(name_key), str):
        headers[MCP_NAME_HEADER] = encode_header_value(name)
        if method == "tools/call":
            # The SDK's own x-mcp-header mapping, learnt when the hub listed the tools.
            headers.update(session._resolve_param_headers(name, out.get("arguments") or {}))
    opts: Any = {"headers": headers, "on_progress": on_progress}
    # The raw dispatcher: the session's stamp would put the hub's envelope over the client's.
    return await session._dispatcher.send_raw_request(method, out, opts)
