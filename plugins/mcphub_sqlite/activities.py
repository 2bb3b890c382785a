"""The activity log in the SQLite file: the ``activities`` table of the store's schema.

Kept apart from the document store (``hub.plugin_api.ActivityLog`` is its own seam), but
on the store's connection and write lock, so one file and one writer stay the rule.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from typing import Any

import aiosqlite

FILTERS = ("server", "tool", "status", "principal")
"""Columns ``list_activities`` filters on (exact match)."""


class SQLiteActivityLog:
    """Append-only activity records; ``doc`` keeps the whole record, columns the filters."""

    def __init__(self, connection: Callable[[], aiosqlite.Connection], lock: asyncio.Lock):
        self._connection = connection
        self._lock = lock

    async def add_activity(self, activity: dict[str, Any]) -> int:
        async with self._lock:
            cur = await self._connection().execute(
                "INSERT INTO activities (timestamp, server, tool, status, principal, doc) "
                "VALUES (?,?,?,?,?,?)",
                (
                    activity.get("timestamp", time.time()),
                    activity.get("server"),
                    activity.get("tool"),
                    activity.get("status"),
                    activity.get("principal"),
                    json.dumps(activity, separators=(",", ":")),
                ),
            )
            return int(cur.lastrowid or 0)

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
