"""The activity log in PostgreSQL: the ``mcphub_activities`` table, shared by instances.

The same contract and the same answers as the SQLite plugin's log (``hub.plugin_api.
ActivityLog``): ``doc`` keeps the whole record, the columns hold what reads filter on;
substring filters are case-sensitive (``strpos``, like SQLite's ``instr``); pages are
newest first by timestamp, then id; distinct filter values sort bytewise (``COLLATE "C"``,
like SQLite's default ``BINARY``), so both backends list them in one order.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import asyncpg

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

INSERT = insert_activity_sql(
    "mcphub_activities", [f"${n}" for n in range(1, len(ACTIVITY_COLUMNS) + 2)]
)

Pool = Callable[[], asyncpg.Pool]


def _where(query: ActivityQuery) -> tuple[str, list[Any]]:
    """The WHERE clause of ``query`` and its arguments ($1, $2, … in order)."""
    where: list[str] = []
    args: list[Any] = []

    def arg(value: Any) -> str:
        args.append(value)
        return f"${len(args)}"

    for column, value in query.substrings():
        where.append(f"strpos({column}, {arg(value)}) > 0")
    for column, value in query.exact():
        where.append(f"{column} = {arg(value)}")
    if query.since is not None:
        where.append(f"timestamp >= {arg(float(query.since))}")
    if query.until is not None:
        where.append(f"timestamp <= {arg(float(query.until))}")
    if query.only_owned:
        owned = [f"usr = {arg(query.user or '')}"]
        for column, values in query.owned_by():
            owned.append(f"{column} = ANY({arg(list(values))}::text[])")
        where.append(f"({' OR '.join(owned)})")
    return (f"WHERE {' AND '.join(where)}" if where else ""), args


def _record(row: asyncpg.Record) -> dict[str, Any]:
    return activity_record(row["id"], row["doc"])


class PostgresActivityLog:
    """Append-only activity records (``hub.plugin_api.ActivityLog``)."""

    def __init__(self, pool: Pool) -> None:
        self._pool = pool

    async def add_activity(self, activity: dict[str, Any]) -> int:
        new_id = await self._pool().fetchval(
            f"{INSERT} RETURNING id", *activity_row(activity, typed=True)
        )
        return int(new_id)

    async def add_activities(self, activities: list[dict[str, Any]]) -> None:
        if not activities:
            return
        rows = [activity_row(a, typed=True) for a in activities]
        async with self._pool().acquire() as conn, conn.transaction():
            await conn.executemany(INSERT, rows)

    async def list_activities(
        self, *, limit: int = 100, offset: int = 0, filters: dict[str, str] | None = None
    ) -> tuple[list[dict[str, Any]], int]:
        where: list[str] = []
        args: list[Any] = []
        for column in LIST_FILTERS:
            if filters and filters.get(column):
                args.append(filters[column])
                where.append(f"{column} = ${len(args)}")
        clause = f"WHERE {' AND '.join(where)}" if where else ""
        pool = self._pool()
        total = await pool.fetchval(f"SELECT count(*) FROM mcphub_activities {clause}", *args)
        rows = await pool.fetch(
            f"SELECT id, doc FROM mcphub_activities {clause} ORDER BY id DESC "
            f"LIMIT ${len(args) + 1} OFFSET ${len(args) + 2}",
            *args,
            limit,
            offset,
        )
        return [{**json.loads(row["doc"]), "id": row["id"]} for row in rows], int(total)

    async def query_activities(
        self, query: ActivityQuery, *, limit: int, offset: int
    ) -> tuple[list[dict[str, Any]], int]:
        clause, args = _where(query)
        pool = self._pool()
        total = await pool.fetchval(f"SELECT count(*) FROM mcphub_activities {clause}", *args)
        rows = await pool.fetch(
            f"SELECT id, doc FROM mcphub_activities {clause} "
            f"ORDER BY timestamp DESC, id DESC LIMIT ${len(args) + 1} OFFSET ${len(args) + 2}",
            *args,
            limit,
            offset,
        )
        return [_record(row) for row in rows], int(total)

    async def activity_stats(self, query: ActivityQuery) -> dict[str, int]:
        clause, args = _where(query)
        row = await self._pool().fetchrow(
            "SELECT count(*) AS total, count(*) FILTER (WHERE status = 'success') AS success, "
            "count(*) FILTER (WHERE status = 'error') AS error, "
            f"avg(duration) AS avg FROM mcphub_activities {clause}",
            *args,
        )
        if row is None:
            return activity_summary(0, 0, 0, None)
        return activity_summary(row["total"], row["success"], row["error"], row["avg"])

    async def activity_filters(self, query: ActivityQuery) -> dict[str, list[str]]:
        clause, args = _where(query)
        out: dict[str, list[str]] = {}
        pool = self._pool()
        for key, column in DISTINCT_COLUMNS:
            nonnull = f"{clause} AND" if clause else "WHERE"
            rows = await pool.fetch(
                f'SELECT DISTINCT {column} COLLATE "C" AS value FROM mcphub_activities '
                f"{nonnull} {column} IS NOT NULL ORDER BY 1",
                *args,
            )
            out[key] = [str(row["value"]) for row in rows]
        return out

    async def get_activity(self, text: str) -> dict[str, Any] | None:
        number = activity_id(text)
        if number is None:
            return None
        row = await self._pool().fetchrow(
            "SELECT id, doc FROM mcphub_activities WHERE id = $1", number
        )
        return _record(row) if row else None

    async def delete_activities(self, before: float) -> int:
        status = await self._pool().execute(
            "DELETE FROM mcphub_activities WHERE timestamp < $1", float(before)
        )
        return int(status.split()[-1])
