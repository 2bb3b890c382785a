"""MCP sessions and rate-limit hits in PostgreSQL (shared by instances); the activity log
is in ``activities.py``."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import asyncpg

Pool = Callable[[], asyncpg.Pool]


class PostgresSessions:
    """MCP sessions any instance can continue (``hub.plugin_api.SessionRegistry``)."""

    def __init__(self, pool: Pool) -> None:
        self._pool = pool

    async def put_session(self, session_id: str, record: dict[str, Any]) -> None:
        pool = self._pool()
        # Records nobody used for a day are gone (every instance reaps its idle sessions).
        await pool.execute("DELETE FROM mcphub_sessions WHERE seen_at < now() - interval '1 day'")
        await pool.execute(
            "INSERT INTO mcphub_sessions (id, doc) VALUES ($1, $2) "
            "ON CONFLICT (id) DO UPDATE SET doc = excluded.doc, seen_at = now()",
            session_id,
            json.dumps(record, separators=(",", ":")),
        )

    async def get_session(self, session_id: str) -> dict[str, Any] | None:
        doc = await self._pool().fetchval(
            "UPDATE mcphub_sessions SET seen_at = now() WHERE id = $1 RETURNING doc", session_id
        )
        return json.loads(doc) if doc is not None else None

    async def delete_session(self, session_id: str) -> None:
        await self._pool().execute("DELETE FROM mcphub_sessions WHERE id = $1", session_id)


class PostgresRateHits:
    """Rate-limit hits every instance counts (``hub.plugin_api.SharedRateLimits``)."""

    def __init__(self, pool: Pool) -> None:
        self._pool = pool

    async def recent_hits(self, name: str, key: str, since: float) -> list[float]:
        rows = await self._pool().fetch(
            "SELECT at FROM mcphub_rate_hits WHERE name = $1 AND key = $2 AND at > $3 ORDER BY at",
            name,
            key,
            since,
        )
        return [float(row["at"]) for row in rows]

    async def add_hit(self, name: str, key: str, at: float, forget_before: float) -> None:
        async with self._pool().acquire() as conn, conn.transaction():
            await conn.execute(
                "DELETE FROM mcphub_rate_hits WHERE name = $1 AND key = $2 AND at <= $3",
                name,
                key,
                forget_before,
            )
            await conn.execute(
                "INSERT INTO mcphub_rate_hits (name, key, at) VALUES ($1, $2, $3)", name, key, at
            )
