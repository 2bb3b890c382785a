"""Cancelling one downstream request from outside its task, with asyncio's own machinery.

A client that disconnects, sends ``notifications/cancelled`` or whose session closes must stop
the request it was waiting for, and the upstream call under it (which then tells the upstream).
anyio's ``CancelScope`` did this at a cost of several microseconds to enter and leave (a
backend lookup, a task-state record, a scope stack): per proxied call, a few percent of the
hub's CPU. ``CallScope`` cancels the request's task directly and, like ``asyncio.timeout``,
swallows only the cancellation it asked for (``Task.uncancel``), so a shutdown's
cancellation still propagates.
"""

from __future__ import annotations

import asyncio
from types import TracebackType
from typing import Self


class CallScope:
    """``with CallScope():`` around one request's work; ``cancel()`` from any callback of the
    loop ends that work with no answer (``cancelled_caught`` is then True)."""

    __slots__ = ("_ended", "_requested", "_task", "cancelled_caught")

    def __init__(self) -> None:
        self._task: asyncio.Task[object] | None = None
        self._requested = False
        self._ended = False
        self.cancelled_caught = False

    def __enter__(self) -> Self:
        task = self._task = asyncio.current_task()
        if self._requested and task is not None:
            task.cancel()  # cancelled before it started: end at the first await
        return self

    def cancel(self) -> None:
        """Stop the work inside the scope (at once, or as soon as it starts); a no-op once
        it ended."""
        if self._requested or self._ended:
            return
        self._requested = True
        if self._task is not None:
            self._task.cancel()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> bool:
        task, self._task = self._task, None
        self._ended = True
        if not self._requested or task is None:
            return False
        # Ours was asked for: take it back, and absorb the CancelledError only when no one
        # else (a shutdown, an enclosing timeout) cancelled the task too.
        if (
            task.uncancel() == 0
            and exc_type is not None
            and issubclass(exc_type, asyncio.CancelledError)
        ):
            self.cancelled_caught = True
            return True
        return False
