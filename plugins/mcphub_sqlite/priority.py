"""The activity writer's CPU priority: idle while it keeps up, normal when it starves.

At nice 10 the writer still took about a tenth of a core whenever it was runnable on the
core the hub's event loop was using, and under load that is most of the time it runs: a
hub with activities on lost several percent of its throughput to it. At ``SCHED_IDLE`` it
runs only on a CPU nothing else wants (a busy hub leaves one: its upstreams and clients
rarely fill the other cores), so it never takes the event loop's core.

A writer that gets no CPU at all would hold its batch, and SQLite's write lock, until the
host goes idle. So a batch still unanswered after ``STARVED_S`` puts the writer back to
``SCHED_OTHER`` (at its nice 10) for ``BOOST_S``, then it is idle again; on a saturated
host it is thus mostly at nice 10, as before. Leaving ``SCHED_IDLE`` needs the right to
raise a priority (``CAP_SYS_NICE``, or an ``RLIMIT_NICE`` that allows the writer's nice);
without it the writer is never made idle and stays at nice 10.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from collections.abc import Awaitable

log = logging.getLogger(__name__)

STARVED_S = 0.25
"""Seconds a batch may wait for its answer before the idle writer is given normal CPU."""
BOOST_S = 5.0
"""Seconds a starved writer keeps normal CPU before it is tried at idle again."""


def _set(pid: int, policy: int) -> bool:
    try:
        os.sched_setscheduler(pid, policy, os.sched_param(0))
    except OSError:  # gone, or not allowed
        return False
    return True


def reversible(pid: int) -> bool:
    """Whether ``pid`` could leave ``SCHED_IDLE`` again: raising its priority by one step
    (then lowering it back) needs the same right."""
    if not hasattr(os, "SCHED_IDLE"):
        return False
    try:
        nice = os.getpriority(os.PRIO_PROCESS, pid)
        os.setpriority(os.PRIO_PROCESS, pid, nice - 1)
        os.setpriority(os.PRIO_PROCESS, pid, nice)
    except OSError:
        return False
    return True


class WriterPriority:
    """The CPU priority of one writer process, as its batches go."""

    def __init__(self, starved_s: float = STARVED_S, boost_s: float = BOOST_S) -> None:
        self.starved_s = starved_s
        self.boost_s = boost_s
        self.pid: int | None = None
        self.idle = False
        """The writer runs at ``SCHED_IDLE`` now."""
        self.boosted_until: float | None = None
        """While the writer is back at normal priority: until when (monotonic)."""
        self.boosts = 0
        """Times the writer starved and was given normal CPU."""

    def settle(self, pid: int) -> None:
        """Make a new writer idle, if it can be brought back (called once it has started:
        it sets its own nice first)."""
        self.pid, self.boosted_until = pid, None
        self.idle = reversible(pid) and _set(pid, os.SCHED_IDLE)

    def before_batch(self) -> None:
        """A starved writer whose ``BOOST_S`` is over goes back to idle."""
        until = self.boosted_until
        if until is not None and time.monotonic() >= until and self.pid is not None:
            self.boosted_until = None
            self.idle = _set(self.pid, os.SCHED_IDLE)

    async def answer(self, reading: Awaitable[bytes]) -> bytes:
        """The writer's answer to a batch; if it is idle and the answer takes longer than
        ``starved_s``, it gets normal CPU until it is in."""
        waiting = asyncio.ensure_future(reading)
        if self.idle and self.pid is not None:
            done, _ = await asyncio.wait((waiting,), timeout=self.starved_s)
            if not done and _set(self.pid, os.SCHED_OTHER):
                self.idle = False
                self.boosts += 1
                self.boosted_until = time.monotonic() + self.boost_s
                log.debug(
                    "The activity writer got no CPU for %.2f s: normal priority", self.starved_s
                )
        return await waiting
