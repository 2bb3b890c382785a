"""Pacing of connection attempts: bounded connect slots and exponential backoff.

At start every enabled upstream connects at once; the slots keep that to a few at a time
without letting one hung upstream hold the others back, and the backoff keeps a crashing
upstream from being restarted in a tight loop (with jitter, so restarts do not align).
"""

from __future__ import annotations

import asyncio
import contextlib
import random
from collections.abc import AsyncIterator

SLOT_HOLD = 10.0
"""Seconds a connect attempt occupies a concurrency slot at most, so hung upstreams cannot
keep the others waiting; the attempt itself goes on until ``CONNECT_TIMEOUT``."""
BACKOFF_START, BACKOFF_CAP = 1.0, 60.0


@contextlib.asynccontextmanager
async def connect_slot(slots: asyncio.Semaphore) -> AsyncIterator[None]:
    """One of the bounded connect slots, given back when done or after ``SLOT_HOLD``."""
    await slots.acquire()
    released = False

    def release() -> None:
        nonlocal released
        if not released:
            released = True
            slots.release()

    timer = asyncio.get_running_loop().call_later(SLOT_HOLD, release)
    try:
        yield
    finally:
        timer.cancel()
        release()


def backoff(failures: int) -> float:
    """1 s, 2 s, 4 s … capped at 60 s, each with ±20 % jitter so restarts do not align."""
    base = min(BACKOFF_CAP, BACKOFF_START * 2 ** max(0, failures - 1))
    return float(base * random.uniform(0.8, 1.2))
