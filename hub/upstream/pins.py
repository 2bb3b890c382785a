"""Tool-definition pinning, the rug-pull defence.

The hub keeps a hash of each tool's name, description and input schema as approved
(``LiveConfig.tool_pins``: ``{server: {tool: {"hash", "approvedAt", "approvedBy"}}}``, in
the store's ``tool_pins`` collection). A tool is pinned the first time the hub sees it (with
``systemConfig.security.pinOnFirstConnect``, the default) or when an admin approves it. A
later definition with another hash is ``changed``: logged once, flagged in the server list,
and, with ``security.pinToolDefinitions`` on, held back from every view (hidden from lists,
refused on call, the upstream sees nothing) until an admin approves the new definition.

Checks are computed when the catalog builds a view (on change, never per call) and cached
per server by the identity of the upstream's tool list and of its pin document, which are
both replaced, never changed in place.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from hub.config.events import Change, ChangeEvent, Kind

if TYPE_CHECKING:
    from hub.app import Hub

log = logging.getLogger(__name__)

APPROVED, CHANGED, UNAPPROVED = "approved", "changed", "unapproved"


def definition_hash(tool: dict[str, Any]) -> str:
    """SHA-256 of the tool's name, description and input schema as canonical JSON."""
    shown = {k: tool.get(k) for k in ("name", "description", "inputSchema")}
    text = json.dumps(shown, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass(frozen=True)
class PinCheck:
    """The tools of one server against its pins, for one tool list and one pin document."""

    tools: list[dict[str, Any]]
    pins: dict[str, Any] | None
    hashes: dict[str, str]
    changed: frozenset[str]
    unpinned: frozenset[str]

    def approval(self, tool: str) -> str:
        if tool in self.changed:
            return CHANGED
        return UNAPPROVED if tool in self.unpinned else APPROVED


class ToolPins:
    """Checks upstream tools against their pins, records new pins, holds back changed tools."""

    def __init__(self, hub: Hub) -> None:
        self.hub = hub
        self._checks: dict[str, PinCheck] = {}
        self._reported: set[tuple[str, str, str]] = set()
        self._lock = asyncio.Lock()
        self._tasks: set[asyncio.Task[None]] = set()
        self._unsubscribe: Callable[[], None] | None = None

    def start(self) -> None:
        self._unsubscribe = self.hub.bus.subscribe(self._on_event)

    async def stop(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    # ------------------------------------------------------------------ reads

    def check(self, server: str) -> PinCheck:
        """The server's current tools against its pins (cached until either changes)."""
        tools = self.hub.upstreams.state(server).tools
        pins = self.hub.config.tool_pins.get(server)
        found = self._checks.get(server)
        if found is not None and found.tools is tools and found.pins is pins:
            return found
        hashes = {str(t.get("name")): definition_hash(t) for t in tools}
        pinned = pins or {}
        changed = {n for n, h in hashes.items() if n in pinned and pinned[n].get("hash") != h}
        check = PinCheck(
            tools,
            pins,
            hashes,
            frozenset(changed),
            frozenset(n for n in hashes if n not in pinned),
        )
        self._checks[server] = check
        return check

    def held(self, server: str) -> frozenset[str]:
        """Upstream names of the server's tools no view may show or call right now."""
        security = self.hub.config.system.security
        if not security.pin_tool_definitions:
            return frozenset()
        check = self.check(server)
        if security.pin_on_first_connect:
            return check.changed
        return check.changed | check.unpinned

    # ------------------------------------------------------------------ writes

    async def approve(self, server: str, names: list[str] | None, by: str | None) -> list[str]:
        """Pin the current definitions of ``names`` (None: every listed tool) of ``server``;
        returns the names pinned anew (changed or unapproved before)."""
        async with self._lock:
            check = self.check(server)
            wanted = check.hashes if names is None else {n: check.hashes[n] for n in names}
            return await self._pin(server, check, wanted, by)

    async def _pin(
        self, server: str, check: PinCheck, wanted: dict[str, str], by: str | None
    ) -> list[str]:
        """Write pins for ``wanted`` (name → hash) where they differ; caller holds the lock."""
        pinned = dict(self.hub.config.tool_pins.get(server) or {})
        now = time.time()
        fresh = [n for n, h in wanted.items() if (pinned.get(n) or {}).get("hash") != h]
        if not fresh:
            return []
        for name in fresh:
            pinned[name] = {"hash": wanted[name], "approvedAt": now, "approvedBy": by}
        await self.hub.config.put_tool_pins(server, pinned)
        # The catalog may now show what it held back: a local event rebuilds its views.
        self.hub.bus.publish(Kind.UPSTREAM, server, what="pins")
        return sorted(fresh)

    # ------------------------------------------------------------------ events

    def _on_event(self, event: ChangeEvent) -> None:
        kind, server = event.kind, event.record
        if kind == Kind.UPSTREAM and server and event.detail.get("what") == "tools":
            self._spawn(self._review(server))
        elif kind == Kind.SERVERS and server and event.action == Change.DELETE:
            self._spawn(self._forget(server))
        elif kind in (Kind.SYSTEM, Kind.IMPORTED):
            for name in list(self.hub.upstreams.states):
                self._spawn(self._review(name))

    def _spawn(self, work: Any) -> None:
        task: asyncio.Task[None] = asyncio.get_running_loop().create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _review(self, server: str) -> None:
        """Log changed definitions once each; pin unseen tools when pinning on first sight."""
        try:
            async with self._lock:
                check = self.check(server)
                for name in sorted(check.changed):
                    key = (server, name, check.hashes[name])
                    if key not in self._reported:
                        self._reported.add(key)
                        log.warning(
                            "Upstream %s changed the definition of tool %s since it was "
                            "approved; an admin must approve the new one",
                            server,
                            name,
                        )
                security = self.hub.config.system.security
                if security.pin_on_first_connect and check.unpinned:
                    new = {n: check.hashes[n] for n in check.unpinned}
                    await self._pin(server, check, new, None)
        except Exception:
            log.exception("Reviewing the tool pins of %s failed", server)

    async def _forget(self, server: str) -> None:
        """A deleted server's pins go with it (a new server of that name starts afresh)."""
        async with self._lock:
            if server not in self.hub.config.servers:
                await self.hub.config.delete_tool_pins(server)
                self._checks.pop(server, None)
