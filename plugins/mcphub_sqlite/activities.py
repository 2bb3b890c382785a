"""The activity log in the SQLite file: the ``activities`` table of the store's schema.

Kept apart from the document store (``hub.plugin_api.ActivityLog`` is its own seam). Reads,
deletes and single records use the store's connection (deletes under its write lock);
batches go to the activity writer process (``mcphub_sqlite.writer``), whose connection to
the same file appends them: WAL lets one process write while others read, and each
side's ``busy_timeout`` waits out the other's write. A row is a column per record field
(``mcphub_sqlite.activity_rows``), which reads filter on and make the record from.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from typing import Any

import aiosqlite

from hub.activity_calls import PackedRows
from hub.plugin_api import (
    DISTINCT_COLUMNS,
    LIST_FILTERS,
    ActivityQuery,
    activity_id,
    activity_summary,
)
from mcphub_sqlite.activity_rows import COLUMNS, record_of, row_values
from mcphub_sqlite.writer import WriterProcess, packed_rows

INSERT = f"INSERT INTO activities ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))})"
SELECT = f"SELECT id, {', '.join(COLUMNS)} FROM activities"


def _record(row: Sequence[Any], id_: object) -> dict[str, Any]:
    record = record_of(row[1:])
    record["id"] = id_
    return record


def _where(query: ActivityQuery) -> tuple[str, list[Any]]:
    """The WHERE clause of ``query``: substrings are case-sensitive, as in MCPHub."""
    where: list[str] = []
    args: list[Any] = []
    for column, value in query.substrings():
        where.append(f"instr({column}, ?) > 0")
        args.append(value)
    for column, value in query.exact():
        where.append(f"{column} = ?")
        args.append(value)
    if query.since is not None:
        where.append("timestamp >= ?")
        args.append(query.since)
    if query.until is not None:
        where.append("timestamp <= ?")
        args.append(query.until)
    if query.only_owned:
        owned = ["usr = ?"]
        args.append(query.user or "")
        for column, values in query.owned_by():
            owned.append(f"{column} IN ({','.join('?' * len(values))})")
            args.extend(values)
        where.append(f"({' OR '.join(owned)})")
    return (f"WHERE {' AND '.join(where)}" if where else ""), args


class SQLiteActivityLog:
    """Append-only activity records."""

    def __init__(
        self,
        connection: Callable[[], aiosqlite.Connection],
        lock: asyncio.Lock,
        writer: WriterProcess,
    ) -> None:
        self._connection = connection
        self._lock = lock
        self.writer = writer

    async def add_activity(self, activity: dict[str, Any]) -> int:
        async with self._lock:
            cur = await self._connection().execute(INSERT, row_values(activity))
            return int(cur.lastrowid or 0)

    async def add_activities(self, activities: list[dict[str, Any]]) -> None:
        """Append a batch atomically; returns once the writer process has committed it."""
        if activities:
            await self.writer.append(activities)

    async def add_calls(self, packs: list[PackedRows]) -> None:
        """Append the records of packed call rows (``hub.activity_calls``) atomically: the
        writer process makes them (their summaries), so the hub's event loop does not."""
        if any(p.count for p in packs):
            await self.writer.send(packed_rows(packs))

    async def close(self) -> None:
        """Stop the writer process after what it was sent is written."""
        await self.writer.close()

    async def list_activities(
        self, *, limit: int = 100, offset: int = 0, filters: dict[str, str] | None = None
    ) -> tuple[list[dict[str, Any]], int]:
        db = self._connection()
        where, args = [], []
        for column in LIST_FILTERS:
            if filters and filters.get(column):
                where.append(f"{column} = ?")
                args.append(filters[column])
        clause = f"WHERE {' AND '.join(where)}" if where else ""
        async with db.execute(f"SELECT COUNT(*) FROM activities {clause}", args) as cur:
            total = (await cur.fetchone() or (0,))[0]
        async with db.execute(
            f"{SELECT} {clause} ORDER BY id DESC LIMIT ? OFFSET ?", [*args, limit, offset]
        ) as cur:
            rows = [_record(row, row[0]) for row in await cur.fetchall()]
        return rows, int(total)

    async def query_activities(
        self, query: ActivityQuery, *, limit: int, offset: int
    ) -> tuple[list[dict[str, Any]], int]:
        db = self._connection()
        clause, args = _where(query)
        async with db.execute(f"SELECT COUNT(*) FROM activities {clause}", args) as cur:
            total = (await cur.fetchone() or (0,))[0]
        async with db.execute(
            f"{SELECT} {clause} ORDER BY timestamp DESC, id DESC LIMIT ? OFFSET ?",
            [*args, limit, offset],
        ) as cur:
            rows = [_record(row, str(row[0])) for row in await cur.fetchall()]
        return rows, int(total)

    async def activity_stats(self, query: ActivityQuery) -> dict[str, int]:
        clause, args = _where(query)
        async with self._connection().execute(
            "SELECT COUNT(*), COALESCE(SUM(status = 'success'), 0), "
            f"COALESCE(SUM(status = 'error'), 0), AVG(duration) FROM activities {clause}",
            args,
        ) as cur:
            total, success, error, avg = await cur.fetchone() or (0, 0, 0, None)
        return activity_summary(total, success, error, avg)

    async def activity_filters(self, query: ActivityQuery) -> dict[str, list[str]]:
        clause, args = _where(query)
        out: dict[str, list[str]] = {}
        db = self._connection()
        for key, column in DISTINCT_COLUMNS:
            nonnull = f"{clause} AND" if clause else "WHERE"
            async with db.execute(
                f"SELECT DISTINCT {column} FROM activities {nonnull} {column} IS NOT NULL "
                f"ORDER BY {column}",
                args,
            ) as cur:
                out[key] = [str(value) for (value,) in await cur.fetchall()]
        return out

    async def get_activity(self, text: str) -> dict[str, Any] | None:
        number = activity_id(text)
        if number is None:
            return None
        async with self._connection().execute(f"{SELECT} WHERE id = ?", (number,)) as cur:
            row = await cur.fetchone()
        return _record(row, str(row[0])) if row else None

    async def delete_activities(self, before: float) -> int:
        async with self._lock:
            cur = await self._connection().execute(
                "DELETE FROM activities WHERE timestamp < ?", (before,)
            )
            return int(cur.rowcount)
