"""The activity log in the SQLite file: the ``activities`` table of the store's schema.

Kept apart from the document store (``hub.plugin_api.ActivityLog`` is its own seam), but
on the store's connection and write lock, so one file and one writer stay the rule. ``doc``
keeps the whole record; the columns hold what reads filter on.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from typing import Any

import aiosqlite

from hub.plugin_api import ActivityQuery

FILTERS = ("server", "tool", "status", "principal")
"""Columns ``list_activities`` filters on (exact match)."""

MAX_ID = 2**63 - 1
"""The largest SQLite integer: a longer number in ``get_activity`` names no record."""

INSERT = (
    "INSERT INTO activities (timestamp, server, tool, status, principal, grp, key_id, "
    "key_name, usr, duration, doc) VALUES (?,?,?,?,?,?,?,?,?,?,?)"
)


def _row(activity: dict[str, Any]) -> tuple[Any, ...]:
    return (
        activity.get("timestamp", time.time()),
        activity.get("server"),
        activity.get("tool"),
        activity.get("status"),
        activity.get("principal"),
        activity.get("group"),
        activity.get("keyId"),
        activity.get("keyName"),
        activity.get("user"),
        activity.get("duration"),
        json.dumps(activity, separators=(",", ":")),
    )


def _where(query: ActivityQuery) -> tuple[str, list[Any]]:
    """The WHERE clause of ``query``: substrings are case-sensitive, as in MCPHub."""
    where: list[str] = []
    args: list[Any] = []
    for column, value in (
        ("server", query.server),
        ("tool", query.tool),
        ("grp", query.group),
        ("key_name", query.key_name),
    ):
        if value:
            where.append(f"instr({column}, ?) > 0")
            args.append(value)
    for column, value in (("status", query.status), ("key_id", query.key_id)):
        if value:
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
        for column, values in (("server", query.servers), ("key_id", query.keys)):
            if values:
                owned.append(f"{column} IN ({','.join('?' * len(values))})")
                args.extend(values)
        where.append(f"({' OR '.join(owned)})")
    return (f"WHERE {' AND '.join(where)}" if where else ""), args


def _record(id_: int, doc: str) -> dict[str, Any]:
    return {**json.loads(doc), "id": str(id_)}


class SQLiteActivityLog:
    """Append-only activity records."""

    def __init__(self, connection: Callable[[], aiosqlite.Connection], lock: asyncio.Lock):
        self._connection = connection
        self._lock = lock

    async def add_activity(self, activity: dict[str, Any]) -> int:
        async with self._lock:
            cur = await self._connection().execute(INSERT, _row(activity))
            return int(cur.lastrowid or 0)

    async def add_activities(self, activities: list[dict[str, Any]]) -> None:
        rows = [_row(a) for a in activities]
        db = self._connection()
        async with self._lock:
            await db.execute("BEGIN IMMEDIATE")
            try:
                await db.executemany(INSERT, rows)
            except BaseException:
                await db.execute("ROLLBACK")
                raise
            await db.execute("COMMIT")

    async def list_activities(
        self, *, limit: int = 100, offset: int = 0, filters: dict[str, str] | None = None
    ) -> tuple[list[dict[str, Any]], int]:
        db = self._connection()
        where, args = [], []
        for column in FILTERS:
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
            rows = [_record(id_, doc) for id_, doc in await cur.fetchall()]
        return rows, int(total)

    async def activity_stats(self, query: ActivityQuery) -> dict[str, int]:
        clause, args = _where(query)
        async with self._connection().execute(
            "SELECT COUNT(*), COALESCE(SUM(status = 'success'), 0), "
            f"COALESCE(SUM(status = 'error'), 0), AVG(duration) FROM activities {clause}",
            args,
        ) as cur:
            total, success, error, avg = await cur.fetchone() or (0, 0, 0, None)
        return {
            "totalCalls": int(total),
            "successCount": int(success),
            "errorCount": int(error),
            "avgDuration": round(avg) if avg is not None else 0,
        }

    async def activity_filters(self, query: ActivityQuery) -> dict[str, list[str]]:
        clause, args = _where(query)
        out: dict[str, list[str]] = {}
        db = self._connection()
        for key, column in (
            ("servers", "server"),
            ("tools", "tool"),
            ("groups", "grp"),
            ("keyNames", "key_name"),
        ):
            nonnull = f"{clause} AND" if clause else "WHERE"
            async with db.execute(
                f"SELECT DISTINCT {column} FROM activities {nonnull} {column} IS NOT NULL "
                f"ORDER BY {column}",
                args,
            ) as cur:
                out[key] = [str(value) for (value,) in await cur.fetchall()]
        return out

    async def get_activity(self, activity_id: str) -> dict[str, Any] | None:
        if not (activity_id.isascii() and activity_id.isdigit()) or int(activity_id) > MAX_ID:
            return None  # not an id ("²" is a digit to Python), or past SQLite's integers
        async with self._connection().execute(
            "SELECT id, doc FROM activities WHERE id = ?", (int(activity_id),)
        ) as cur:
            row = await cur.fetchone()
        return _record(row[0], row[1]) if row else None

    async def delete_activities(self, before: float) -> int:
        async with self._lock:
            cur = await self._connection().execute(
                "DELETE FROM activities WHERE timestamp < ?", (before,)
            )
            return int(cur.rowcount)
