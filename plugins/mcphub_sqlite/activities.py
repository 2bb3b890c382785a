"""The activity log in the SQLite file: the ``activities`` table of the store's schema.

Kept apart from the document store (``hub.plugin_api.ActivityLog`` is its own seam), but
on the store's connection and write lock, so one file and one writer stay the rule. ``doc``
keeps the whole record; the columns hold what reads filter on.
"""

from __future__ import annotations

import asyncio
import functools
import json
from collections.abc import Callable
from typing import Any

import aiosqlite

from hub.plugin_api import (
    ACTIVITY_COLUMNS,
    DISTINCT_COLUMNS,
    LIST_FILTERS,
    ActivityQuery,
    activity_id,
    activity_record,
    activity_row,
    activity_summary,
    insert_activity_sql,
)

INSERT = insert_activity_sql("activities", ["?"] * (len(ACTIVITY_COLUMNS) + 1))
ROWS_PER_INSERT = 500
"""Rows one INSERT statement carries (the recorder's whole batch). ``executemany`` steps once
per row, and the sqlite3 module gives up and takes back the GIL around each step: with the
event loop busy, every row of a batch cost a GIL hand-over (measured: a fifth of a proxied
call's CPU at 2,000 calls/s). One multi-row statement steps once, and as the connection is in
autocommit mode (``isolation_level=None``) one statement is one transaction: a batch is one
trip to the connection's thread, where BEGIN and COMMIT were two more (each a wake-up of
that thread and then of the event loop, and GIL hand-overs between them). 500 rows x 11
values stays under SQLite's 32,766 variables."""


@functools.lru_cache(maxsize=64)
def _insert_rows(count: int) -> str:
    """The INSERT of ``count`` rows (the common batch sizes stay cached)."""
    return insert_activity_sql("activities", ["?"] * (len(ACTIVITY_COLUMNS) + 1), count)


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

    def __init__(self, connection: Callable[[], aiosqlite.Connection], lock: asyncio.Lock):
        self._connection = connection
        self._lock = lock

    async def add_activity(self, activity: dict[str, Any]) -> int:
        async with self._lock:
            cur = await self._connection().execute(INSERT, activity_row(activity))
            return int(cur.lastrowid or 0)

    async def add_activities(self, activities: list[dict[str, Any]]) -> None:
        if not activities:
            return
        rows = [activity_row(a) for a in activities]
        db = self._connection()
        if len(rows) <= ROWS_PER_INSERT:
            # One statement in autocommit: atomic, and committed (synchronous=FULL) when
            # ``execute`` returns. The lock keeps it out of another writer's transaction.
            values = [v for row in rows for v in row]
            async with self._lock:
                await db.execute(_insert_rows(len(rows)), values)
            return
        async with self._lock:
            await db.execute("BEGIN IMMEDIATE")
            try:
                for start in range(0, len(rows), ROWS_PER_INSERT):
                    chunk = rows[start : start + ROWS_PER_INSERT]
                    await db.execute(_insert_rows(len(chunk)), [v for row in chunk for v in row])
            except BaseException:
                await db.execute("ROLLBACK")
                raise
            await db.execute("COMMIT")

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
            f"SELECT id, doc FROM activities {clause} ORDER BY id DESC LIMIT ? OFFSET ?",
            [*args, limit, offset],
        ) as cur:
            rows = [{**json.loads(doc), "id": id_} for id_, doc in await cur.fetchall()]
        return rows, int(total)

    async def query_activities(
        self, query: ActivityQuery, *, limit: int, offset: int
    ) -> tuple[list[dict[str, Any]], int]:
        db = self._connection()
        clause, args = _where(query)
        async with db.execute(f"SELECT COUNT(*) FROM activities {clause}", args) as cur:
            total = (await cur.fetchone() or (0,))[0]
        async with db.execute(
            f"SELECT id, doc FROM activities {clause} "
            "ORDER BY timestamp DESC, id DESC LIMIT ? OFFSET ?",
            [*args, limit, offset],
        ) as cur:
            rows = [activity_record(id_, doc) for id_, doc in await cur.fetchall()]
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
        async with self._connection().execute(
            "SELECT id, doc FROM activities WHERE id = ?", (number,)
        ) as cur:
            row = await cur.fetchone()
        return activity_record(row[0], row[1]) if row else None

    async def delete_activities(self, before: float) -> int:
        async with self._lock:
            cur = await self._connection().execute(
                "DELETE FROM activities WHERE timestamp < ?", (before,)
            )
            return int(cur.rowcount)
