"""The activity log in PostgreSQL: the ``mcphub_activities`` table, shared by instances.

The same contract and the same answers as the SQLite plugin's log (``hub.plugin_api.
ActivityLog``): ``doc`` keeps the whole record, the columns hold what reads filter on;
substring filters are case-sensitive (``strpos``, like SQLite's ``instr``); pages are
newest first by timestamp, then id; distinct filter values sort bytewise (``COLLATE "C"``,
like SQLite's default ``BINARY``), so both backends list them in one order.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

import asyncpg

from hub.plugin_api import ActivityQuery

FILTERS = ("server", "tool", "status", "principal")
"""Columns ``list_activities`` filters on (exact match)."""

INSERT = (
    "INSERT INTO mcphub_activities (timestamp, server, tool, status, principal, grp, key_id, "
    "key_name, usr, duration, doc) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"
)

MAX_ID = 2**63 - 1
"""The largest ``bigint`` id: a longer number in ``get_activity`` names no record."""

Pool = Callable[[], asyncpg.Pool]


def _text(value: Any) -> str | None:
    """A column value: SQLite keeps what it is given; here a text column takes text."""
    return None if value is None else str(value)


def _number(value: Any) -> float | None:
    try:
        return None if value is None else float(value)
    except (TypeError, ValueError):
        return None


def _row(activity: dict[str, Any]) -> tuple[Any, ...]:
    return (
        float(activity.get("timestamp", time.time())),
        _text(activity.get("server")),
        _text(activity.get("tool")),
        _text(activity.get("status")),
        _text(activity.get("principal")),
        _text(activity.get("group")),
        _text(activity.get("keyId")),
        _text(activity.get("keyName")),
        _text(activity.get("user")),
        _number(activity.get("duration")),
        json.dumps(activity, separators=(",", ":")),
    )


def _where(query: ActivityQuery) -> tuple[str, list[Any]]:
    """The WHERE clause of ``query`` and its arguments ($1, $2, … in order)."""
    where: list[str] = []
    args: list[Any] = []

    def arg(value: Any) -> str:
        args.append(value)
        return f"${len(args)}"

    for column, value in (
        ("server", query.server),
        ("tool", query.tool),
        ("grp", query.group),
        ("key_name", query.key_name),
    ):
        if value:
            where.append(f"strpos({column}, {arg(value)}) > 0")
    for column, value in (("status", query.status), ("key_id", query.key_id)):
        if value:
            where.append(f"{column} = {arg(value)}")
    if query.since is not None:
        where.append(f"timestamp >= {arg(float(query.since))}")
    if query.until is not None:
        where.append(f"timestamp <= {arg(float(query.until))}")
    if query.only_owned:
        owned = [f"usr = {arg(query.user or '')}"]
        for column, values in (("server", query.servers), ("key_id", query.keys)):
            if values:
                owned.append(f"{column} = ANY({arg(list(values))}::text[])")
        where.append(f"({' OR '.join(owned)})")
    return (f"WHERE {' AND '.join(where)}" if where else ""), args


def _record(row: asyncpg.Record) -> dict[str, Any]:
    return {**json.loads(row["doc"]), "id": str(row["id"])}


class PostgresActivityLog:
    """Append-only activity records (``hub.plugin_api.ActivityLog``)."""

    def __init__(self, pool: Pool) -> None:
        self._pool = pool

    async def add_activity(self, activity: dict[str, Any]) -> int:
        new_id = await self._pool().fetchval(f"{INSERT} RETURNING id", *_row(activity))
        return int(new_id)

    async def add_activities(self, activities: list[dict[str, Any]]) -> None:
        if not activities:
            return
        rows = [_row(a) for a in activities]
        async with self._pool().acquire() as conn, conn.transaction():
            await conn.executemany(INSERT, rows)

    async def list_activities(
        self, *, limit: int = 100, offset: int = 0, filters: dict[str, str] | None = None
    ) -> tuple[list[dict[str, Any]], int]:
        where: list[str] = []
        args: list[Any] = []
        for column in FILTERS:
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
        avg = row["avg"] if row else None
        return {
            "totalCalls": int(row["total"]) if row else 0,
            "successCount": int(row["success"]) if row else 0,
            "errorCount": int(row["error"]) if row else 0,
            "avgDuration": round(float(avg)) if avg is not None else 0,
        }

    async def activity_filters(self, query: ActivityQuery) -> dict[str, list[str]]:
        clause, args = _where(query)
        out: dict[str, list[str]] = {}
        pool = self._pool()
        for key, column in (
            ("servers", "server"),
            ("tools", "tool"),
            ("groups", "grp"),
            ("keyNames", "key_name"),
        ):
            nonnull = f"{clause} AND" if clause else "WHERE"
            rows = await pool.fetch(
                f'SELECT DISTINCT {column} COLLATE "C" AS value FROM mcphub_activities '
                f"{nonnull} {column} IS NOT NULL ORDER BY 1",
                *args,
            )
            out[key] = [str(row["value"]) for row in rows]
        return out

    async def get_activity(self, activity_id: str) -> dict[str, Any] | None:
        if not (activity_id.isascii() and activity_id.isdigit()) or int(activity_id) > MAX_ID:
            return None
        row = await self._pool().fetchrow(
            "SELECT id, doc FROM mcphub_activities WHERE id = $1", int(activity_id)
        )
        return _record(row) if row else None

    async def delete_activities(self, before: float) -> int:
        status = await self._pool().execute(
            "DELETE FROM mcphub_activities WHERE timestamp < $1", float(before)
        )
        return int(status.split()[-1])
