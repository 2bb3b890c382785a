"""The batched writer: a bounded in-memory queue drained by one task into the ActivityLog.

The observers' telling of finished calls appends what it has (each call, its result or
error, and when it finished) to the queue: no I/O, no await, and not even what is written,
which ``build`` makes later, a few dozen at a time (made one by one between a call's other
work, they cost twice as much CPU as in a tight loop), and ``pack`` turns into one *pack*:
with the activity plugin, call rows (``hub.activity_calls``) encoded together, whose records
``write`` leaves to the store. At most ``BUILD_EVERY`` calls wait unbuilt, so results are
not held for long. When the queue holds ``capacity`` records, new ones are counted as
dropped (when they would be made) and the call goes on.

The writer takes everything queued (whole packs, up to ``batch`` records) and appends it in
one transaction; records are *acknowledged* (``written``) once that transaction has committed,
which with the SQLite store (WAL, ``synchronous=NORMAL``) means they survive a SIGKILL. What
a kill of the hub can lose is what was still queued here: at most ``capacity`` records, in
practice the calls of the last ``GATHER_S`` (50 ms), which the writer lets gather so that
one transaction serves a burst of calls, and those not yet told to the observers (10 ms).
(The SQLite store's writer process finishes a batch it was sent even when the hub dies; a
store writing from the hub's own process loses that batch too, so ``capacity + batch`` at
most.)
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import logging
from collections.abc import Awaitable, Callable, Iterable, Sized
from typing import Any

from hub.plugin_api import ActivityLog

log = logging.getLogger(__name__)

CAPACITY = 10_000
"""Records queued at most; more are dropped (and counted)."""
BATCH = 500
"""Records written in one transaction at most."""
BUILD_EVERY = 64
"""Calls queued unbuilt at most: then their records are made at once. A call's objects kept
longer than a moment outlive the cycle collector's young generations and are walked
again by its older ones; made 64 at a time, records keep most of the tight loop's gain."""


GATHER_S = 0.05
"""Seconds the writer waits after the first queued record for more to join its write
(unless a whole batch is queued first)."""


class Recorder:
    """Queue and writer of one hub's activity records."""

    def __init__(
        self,
        store: ActivityLog,
        capacity: int = CAPACITY,
        batch: int = BATCH,
        gather: float = GATHER_S,
        build: Callable[[Any], Any] | None = None,
        build_every: int = BUILD_EVERY,
        pack: Callable[[list[Any]], Sized] = list,
        write: Callable[[list[Any]], Awaitable[None]] | None = None,
    ) -> None:
        self.store = store
        self.write = write or self._add_records
        """Appends a batch of packs (lists of records by default) to the store."""
        self.gather = gather
        self.build = build
        """Makes what is written of a queued item: a record, or a call row for ``write``
        (None: items are records already)."""
        self.pack = pack
        """Turns what one build made into what waits in ``pending``, one *pack* (``len`` of
        it: how many records it holds); by default the list itself. The activity plugin
        encodes a pack's call rows at once (``hub.activity_calls.pack_rows``)."""
        self.build_every = min(build_every, batch)
        self.unbuilt: list[Any] = []
        """Items offered since the last build, in order (fewer than ``build_every``)."""
        self._full = asyncio.Event()
        self.capacity = capacity
        self.batch = batch
        self.pending: collections.deque[Sized] = collections.deque()
        """Packs waiting to be written, oldest first."""
        self.pending_records = 0
        """Records in ``pending``."""
        self.wake = asyncio.Event()
        self.accepted = 0
        """Records queued since start (counted when they are made)."""
        self.written = 0
        """Records committed to the store (acknowledged) since start."""
        self.dropped = 0
        """Records refused because the queue was full."""
        self.failed = 0
        """Records lost because a write failed."""
        self.peak = 0
        """Most records queued and not yet committed, seen when a batch write began: what a
        kill at the worst moment so far would have lost."""
        self._task: asyncio.Task[None] | None = None
        self._stopping = False

    def offer(self, item: Any) -> None:
        """Queue a record (or what ``build`` makes one of) without waiting."""
        self.offer_all((item,))

    def offer_all(self, items: Iterable[Any]) -> None:
        """Queue records (or what ``build`` makes them of), in order, without waiting. Whether
        the queue had room is settled when the records are made (``dropped`` counts the
        rest), so a turn's calls cost the queue one ``extend``."""
        unbuilt = self.unbuilt
        if not unbuilt:
            self.wake.set()
        unbuilt.extend(items)
        if len(unbuilt) >= self.build_every:
            self._build()

    @property
    def queued(self) -> int:
        """Records waiting to be written, built or not."""
        return self.pending_records + len(self.unbuilt)

    def _build(self) -> None:
        """Make the records of the items offered since the last build, in order, and queue
        them as one pack; what does not fit in ``capacity`` is dropped."""
        items, self.unbuilt = self.unbuilt, []
        room = max(self.capacity - self.pending_records, 0)
        if len(items) > room:
            self.dropped += len(items) - room
            items = items[:room]
        if not items:
            return
        self.accepted += len(items)
        build = self.build
        if build is not None:
            made = []
            for item in items:
                try:
                    made.append(build(item))
                except Exception:
                    self.failed += 1
                    log.exception("Could not make an activity record")
            items = made
        try:
            pack = self.pack(items)
        except Exception:
            self.failed += len(items)
            log.exception("Could not queue %d activity records", len(items))
            return
        self.pending.append(pack)
        self.pending_records += len(pack)
        if self.pending_records >= self.batch:
            self._full.set()

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run(), name="activity-writer")

    async def _run(self) -> None:
        while not self._stopping:
            await self.wake.wait()
            if len(self.pending) < self.batch and not self._stopping:
                # Let the calls of the next moment join this write: one transaction (and one
                # fsync) per burst rather than per call when calls come one at a time.
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._full.wait(), self.gather)
            self.wake.clear()
            self._build()
            self._full.clear()
            await self._write_batch()
            if self.queued:  # what came during the write gathers for the next one
                self.wake.set()

    async def flush(self) -> None:
        """Write everything queued now, batch by batch."""
        self._build()
        while self.pending:
            await self._write_batch()
            self._build()

    async def _write_batch(self) -> None:
        """One transaction of what is queued: whole packs, up to ``batch`` records (or one
        pack if it is larger)."""
        if not self.pending:
            return
        self.peak = max(self.peak, self.queued)
        pending, count = self.pending, 0
        chunk: list[Sized] = []
        while pending and (not chunk or count + len(pending[0]) <= self.batch):
            chunk.append(pending.popleft())
            count += len(chunk[-1])
        self.pending_records -= count
        try:
            await self.write(chunk)
        except Exception:
            self.failed += count
            log.exception("Could not write %d activity records", count)
        else:
            self.written += count

    async def _add_records(self, packs: list[Any]) -> None:
        """The default ``write``: the packs' records (lists of them) to ``add_activities``."""
        await self.store.add_activities([record for pack in packs for record in pack])

    async def close(self) -> None:
        """Stop the writer after writing what is queued (a batch in flight is finished)."""
        self._stopping = True
        self.wake.set()
        self._full.set()
        if self._task is not None:
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None
        await self.flush()
