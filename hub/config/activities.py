"""The activity log seam: an append-only record of tool calls, kept apart from the Store.

The configuration store must be small, transactional and shared by every instance; an
activity log is large, append-only and may live elsewhere (the same SQLite file, a
PostgreSQL table, a log pipeline). So it is its own interface. A storage backend that can
keep one exposes it as its ``activities`` attribute; ``activity_log(store)`` finds it. The
activity-log feature (an ``after_tool_call`` writer and an API to page through it) builds
on this.
"""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable


@runtime_checkable
class ActivityLog(Protocol):
    """Append and page through activity records (JSON objects with optional ``timestamp``,
    ``server``, ``tool``, ``status`` and ``principal`` fields, which are filterable)."""

    async def add_activity(self, activity: dict[str, Any]) -> int:
        """Append one activity record; returns its id. Committed before it returns."""
        ...

    async def list_activities(
        self, *, limit: int = 100, offset: int = 0, filters: dict[str, str] | None = None
    ) -> tuple[list[dict[str, Any]], int]:
        """A page of activities, newest first (each with its ``id``), and the total count
        matching ``filters`` (exact values of ``server``, ``tool``, ``status``,
        ``principal``)."""
        ...


def activity_log(store: object) -> ActivityLog | None:
    """The activity log a storage backend offers (its ``activities`` attribute), if any."""
    log = getattr(store, "activities", None)
    return log if isinstance(log, ActivityLog) else None
