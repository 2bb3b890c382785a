"""Other hub instances' changes, applied here: the receiving end of the change bus bridge.

A shared store hands over the events of other instances' committed writes
(``Store.listen``). They are applied one at a time, in arrival order, each re-reading its
record from the store (so the last one applied always leaves the newest state), and then
emitted on this instance's bus, origin kept: the upstream manager, the catalog and the MCP
sessions follow them exactly as they follow a local change.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from hub.config.events import Change, ChangeEvent, EventBus, Kind
from hub.config.live import LiveConfig

log = logging.getLogger(__name__)


class Replica:
    """Applies remote change events to the live config, then emits them on the bus."""

    def __init__(self, config: LiveConfig, bus: EventBus) -> None:
        self.config = config
        self.bus = bus
        self._queue: asyncio.Queue[ChangeEvent] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None
        self.applied = 0
        """How many remote events were applied (tests and diagnostics)."""

    async def start(self) -> None:
        """Listen to the store; from now on other instances' writes become live here."""
        self._task = asyncio.get_running_loop().create_task(self._run(), name="replica")
        await self.config.store.listen(self.receive)

    def receive(self, event: ChangeEvent) -> None:
        """The store's callback: queue the event (called on the event loop, must not block)."""
        if event.origin and event.origin == self.bus.origin:
            return
        self._queue.put_nowait(event)

    async def _run(self) -> None:
        while True:
            event = await self._queue.get()
            try:
                await self.config.apply(event)
            except Exception:
                # Never drift: reload everything once the store answers again.
                log.exception("Could not apply a %s change from another instance", event.kind)
                await asyncio.sleep(0.5)
                self._queue.put_nowait(ChangeEvent(Kind.IMPORTED, None, Change.REPLACE))
                continue
            self.applied += 1
            self.bus.emit(event)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
