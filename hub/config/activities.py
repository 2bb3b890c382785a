"""The activity log seam: an append-only record of tool calls, kept apart from the Store.

The configuration store must be small, transactional and shared by every instance; an
activity log is large, append-only and may live elsewhere (the same SQLite file, a
PostgreSQL table, a log pipeline). So it is its own interface. A storage backend that can
keep one exposes it as its ``activities`` attribute; ``activity_log(store)`` finds it. The
activity recorder (``plugins/mcphub_activity``, on ``after_tool_call``) writes through it in
batches; ``hub.services.activities`` reads it for ``/api/activities``.

A record is a JSON object. Its fields (MCPHub's ``IActivity`` plus ``user`` and ``via``):
``timestamp`` (epoch seconds, a float), ``server``, ``tool`` (un-prefixed), ``duration``
(ms, int), ``status`` (``success``/``error``), ``input`` and ``output`` (JSON strings,
summaries), ``group``, ``keyId``, ``keyName``, ``user``, ``errorMessage``, ``via``. A
backend returns records with an ``id`` (string) added.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable


@dataclass(frozen=True)
class ActivityQuery:
    """Which records a read covers: MCPHub's filters, and what the caller may see.

    ``server``, ``tool``, ``group`` and ``key_name`` match as substrings; ``status`` and
    ``key_id`` exactly; ``since``/``until`` (epoch seconds) bound ``timestamp`` inclusively.
    Visibility: when ``only_owned`` is set, a record is visible if its server is in
    ``servers``, or its ``keyId`` in ``keys``, or its ``user`` is ``user``.
    """

    server: str | None = None
    tool: str | None = None
    status: str | None = None
    group: str | None = None
    key_id: str | None = None
    key_name: str | None = None
    since: float | None = None
    until: float | None = None
    only_owned: bool = False
    servers: tuple[str, ...] = ()
    keys: tuple[str, ...] = ()
    user: str | None = None


@runtime_checkable
class ActivityLog(Protocol):
    """Append and page through activity records (see the module docstring for the fields)."""

    async def add_activity(self, activity: dict[str, Any]) -> int:
        """Append one activity record; returns its id. Committed before it returns."""
        ...

    async def add_activities(self, activities: list[dict[str, Any]]) -> None:
        """Append a batch in one transaction, committed (durable) before it returns: this is
        the moment the recorder counts the records as written."""
        ...

    async def list_activities(
        self, *, limit: int = 100, offset: int = 0, filters: dict[str, str] | None = None
    ) -> tuple[list[dict[str, Any]], int]:
        """A page of activities, newest first (each with its ``id``), and the total count
        matching ``filters`` (exact values of ``server``, ``tool``, ``status``,
        ``principal``)."""
        ...

    async def query_activities(
        self, query: ActivityQuery, *, limit: int, offset: int
    ) -> tuple[list[dict[str, Any]], int]:
        """A page of the records ``query`` covers, newest first, and their total count."""
        ...

    async def activity_stats(self, query: ActivityQuery) -> dict[str, int]:
        """``{totalCalls, successCount, errorCount, avgDuration}`` (ms, rounded) of ``query``."""
        ...

    async def activity_filters(self, query: ActivityQuery) -> dict[str, list[str]]:
        """Distinct ``servers``, ``tools``, ``groups``, ``keyNames`` (sorted, no nulls) among
        the records ``query`` covers."""
        ...

    async def get_activity(self, activity_id: str) -> dict[str, Any] | None:
        """One record by id, or None."""
        ...

    async def delete_activities(self, before: float) -> int:
        """Delete records older than ``before`` (epoch seconds); returns how many."""
        ...


def activity_log(store: object) -> ActivityLog | None:
    """The activity log a storage backend offers (its ``activities`` attribute), if any."""
    log = getattr(store, "activities", None)
    return log if isinstance(log, ActivityLog) else None
