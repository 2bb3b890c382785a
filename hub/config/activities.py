"""The activity log seam: an append-only record of tool calls, kept apart from the Store.

The configuration store must be small, transactional and shared by every instance; an
activity log is large, append-only and may live elsewhere (the same SQLite file, a
PostgreSQL table, a log pipeline). So it is its own interface. A storage backend that can
keep one exposes it as its ``activities`` attribute; ``activity_log(store)`` finds it. The
activity recorder (``plugins/mcphub_activity``, on ``after_tool_calls``) writes through it in
batches; ``hub.services.activities`` reads it for ``/api/activities``.

A record is a JSON object. Its fields (MCPHub's ``IActivity`` plus ``user`` and ``via``):
``timestamp`` (epoch seconds, a float), ``server``, ``tool`` (un-prefixed), ``duration``
(ms, int), ``status`` (``success``/``error``), ``input`` and ``output`` (JSON strings,
summaries), ``group``, ``keyId``, ``keyName``, ``user``, ``errorMessage``, ``via``. A
backend returns records with an ``id`` (string) added.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from hub.mcp import json_codec


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

    def substrings(self) -> list[tuple[str, str]]:
        """``(column, value)`` of the substring filters that are set."""
        pairs = (
            ("server", self.server),
            ("tool", self.tool),
            ("grp", self.group),
            ("key_name", self.key_name),
        )
        return [(column, value) for column, value in pairs if value]

    def exact(self) -> list[tuple[str, str]]:
        """``(column, value)`` of the exact filters that are set."""
        pairs = (("status", self.status), ("key_id", self.key_id))
        return [(column, value) for column, value in pairs if value]

    def owned_by(self) -> list[tuple[str, tuple[str, ...]]]:
        """With ``only_owned``: ``(column, values)`` of the lists a visible record's column
        may be in, beside its ``usr`` being ``user``."""
        pairs = (("server", self.servers), ("key_id", self.keys))
        return [(column, values) for column, values in pairs if values]


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


# --- what a backend keeping the log in a table may share: the filter columns' names (both
# built-in stores), and a ``doc`` column with the whole record (the PostgreSQL plugin) ---

ACTIVITY_COLUMNS: tuple[tuple[str, str], ...] = (
    ("timestamp", "timestamp"),
    ("server", "server"),
    ("tool", "tool"),
    ("status", "status"),
    ("principal", "principal"),
    ("grp", "group"),
    ("key_id", "keyId"),
    ("key_name", "keyName"),
    ("usr", "user"),
    ("duration", "duration"),
)
"""``(column, record field)`` of the columns a table keeps beside ``doc`` (the whole record,
JSON): what reads filter, sort and sum on. ``activity_row`` fills them in this order."""

LIST_FILTERS = ("server", "tool", "status", "principal")
"""Columns ``ActivityLog.list_activities`` filters on (exact match)."""

DISTINCT_COLUMNS: tuple[tuple[str, str], ...] = (
    ("servers", "server"),
    ("tools", "tool"),
    ("groups", "grp"),
    ("keyNames", "key_name"),
)
"""``(answer key, column)`` of ``ActivityLog.activity_filters``."""

MAX_ACTIVITY_ID = 2**63 - 1
"""The largest 64-bit id (SQLite's integer, PostgreSQL's ``bigint``)."""


def insert_activity_sql(table: str, placeholders: list[str], rows: int = 1) -> str:
    """The INSERT of ``rows`` rows of ``activity_row``; ``placeholders`` has one per value."""
    columns = ", ".join([*(column for column, _ in ACTIVITY_COLUMNS), "doc"])
    row = f"({', '.join(placeholders)})"
    return f"INSERT INTO {table} ({columns}) VALUES {', '.join([row] * rows)}"


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def _number(value: Any) -> float | None:
    try:
        return None if value is None else float(value)
    except (TypeError, ValueError):
        return None


def activity_row(activity: dict[str, Any], *, typed: bool = False) -> tuple[Any, ...]:
    """The values of ``ACTIVITY_COLUMNS``, then ``doc``. ``typed`` is for a database that
    checks column types (PostgreSQL): text columns get text, ``duration`` a number or NULL,
    ``timestamp`` a float; SQLite keeps the values as given."""
    values: list[Any] = [activity.get(field) for _, field in ACTIVITY_COLUMNS]
    values[0] = activity.get("timestamp", time.time())
    if typed:
        values = [float(values[0]), *map(_text, values[1:-1]), _number(values[-1])]
    return (*values, json_codec.dumps(activity).decode())


def activity_record(id_: object, doc: str) -> dict[str, Any]:
    """A stored record as the log answers it: ``doc`` with its ``id`` as a string."""
    return {**json.loads(doc), "id": str(id_)}


def activity_id(text: str) -> int | None:
    """The id ``text`` names, or None when it names no record: not ASCII digits ("²" is a
    digit to Python) or past 64-bit integers."""
    if not (text.isascii() and text.isdigit()) or int(text) > MAX_ACTIVITY_ID:
        return None
    return int(text)


def activity_summary(total: Any, success: Any, error: Any, avg: Any) -> dict[str, int]:
    """``ActivityLog.activity_stats`` from the aggregates (``avg`` of ``duration`` may be
    NULL, or a Decimal from PostgreSQL): average rounded to whole ms."""
    return {
        "totalCalls": int(total or 0),
        "successCount": int(success or 0),
        "errorCount": int(error or 0),
        "avgDuration": round(float(avg)) if avg is not None else 0,
    }


def activity_log(store: object) -> ActivityLog | None:
    """The activity log a storage backend offers (its ``activities`` attribute), if any."""
    log = getattr(store, "activities", None)
    return log if isinstance(log, ActivityLog) else None
