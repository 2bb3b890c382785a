"""PostgreSQL store: a connection pool for reads and writes, one connection that listens.

Documents live in one table keyed by (collection, key), in insertion order. A row trigger
notifies every write (``mcphub_postgres.schema``); ``listen`` turns those notifications into
``ChangeEvent`` objects for the hub. The listening connection is watched: when it drops, it is
reopened and the change counter compared with the last change heard, and any gap is
reported as one "reload everything" event, so an instance never silently drifts.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import asyncpg

from hub.plugin_api import ChangeEvent, Store, StoreError, TransactionView, document_event
from hub.plugin_api import StoreConflict as Conflict
from mcphub_postgres.activities import PostgresActivityLog
from mcphub_postgres.connect import ConnectOptions
from mcphub_postgres.schema import CHANNEL, LOCK_ID, MIGRATIONS, REPLACE_LOCK_ID
from mcphub_postgres.shared import PostgresRateHits, PostgresSessions

log = logging.getLogger(__name__)

WATCH_INTERVAL_S = 2.0
"""How often the listening connection is checked (a dead peer is not always reported)."""


class _Ops:
    """Statements shared by the store (on the pool) and its transactions (one connection)."""

    def __init__(self, db: Any) -> None:
        self.db = db

    async def items(self, collection: str) -> list[tuple[str, dict[str, Any]]]:
        rows = await self.db.fetch(
            "SELECT key, doc FROM mcphub_documents WHERE collection = $1 ORDER BY seq",
            collection,
        )
        return [(row["key"], json.loads(row["doc"])) for row in rows]

    async def get(self, collection: str, key: str) -> dict[str, Any] | None:
        doc = await self.db.fetchval(
            "SELECT doc FROM mcphub_documents WHERE collection = $1 AND key = $2", collection, key
        )
        return json.loads(doc) if doc is not None else None

    async def put(self, collection: str, key: str, doc: dict[str, Any], create: bool) -> None:
        text = json.dumps(doc, separators=(",", ":"))
        if create:
            try:
                await self.db.execute(
                    "INSERT INTO mcphub_documents (collection, key, doc) VALUES ($1, $2, $3)",
                    collection,
                    key,
                    text,
                )
            except asyncpg.UniqueViolationError as exc:
                raise Conflict(f"{collection} {key!r} already exists") from exc
        else:
            await self.db.execute(
                "INSERT INTO mcphub_documents (collection, key, doc) VALUES ($1, $2, $3) "
                "ON CONFLICT (collection, key) DO UPDATE SET doc = excluded.doc, "
                "updated_at = now()",
                collection,
                key,
                text,
            )

    async def delete(self, collection: str, key: str) -> bool:
        status = await self.db.execute(
            "DELETE FROM mcphub_documents WHERE collection = $1 AND key = $2", collection, key
        )
        return bool(status != "DELETE 0")


class PostgresStore(Store):
    """The shared store: every instance pointed at one database behaves as one hub."""

    name = "postgresql"

    def __init__(self, options: ConnectOptions) -> None:
        self.options = options
        self._pool: asyncpg.Pool | None = None
        self._listener: asyncpg.Connection | None = None
        self._callback: Callable[[ChangeEvent], None] | None = None
        self._watch: asyncio.Task[None] | None = None
        self._lost = asyncio.Event()
        self.counter_at_open = 0
        """The change counter when the store opened (before the hub loaded its config)."""
        self.last_change = 0
        """The number of the last change heard on the listening connection."""
        self.reconnects = 0
        """How many times the listening connection was reopened."""
        self.activities = PostgresActivityLog(lambda: self.pool)
        """The activity log (``hub.plugin_api.ActivityLog``)."""
        self.sessions = PostgresSessions(lambda: self.pool)
        """MCP sessions every instance can continue (``hub.plugin_api.SessionRegistry``)."""
        self.rate_hits = PostgresRateHits(lambda: self.pool)
        """Rate-limit hits counted across instances (``hub.plugin_api.SharedRateLimits``)."""

    @property
    def pool(self) -> asyncpg.Pool:
        if self._pool is None:
            raise StoreError("store is not open")
        return self._pool

    # ------------------------------------------------------------------ lifecycle

    async def _connect(self) -> asyncpg.Connection:
        return await asyncpg.connect(**self.options.connect_kwargs(self.origin))

    async def open(self) -> None:
        try:
            self._pool = await asyncpg.create_pool(
                min_size=1,
                max_size=self.options.pool_size,
                **self.options.connect_kwargs(self.origin),
            )
        except (OSError, asyncpg.PostgresError) as exc:
            raise StoreError(f"cannot connect to PostgreSQL: {exc}") from exc
        await self._migrate()
        self.counter_at_open = await self.change_counter()

    async def _migrate(self) -> None:
        async with self.pool.acquire() as conn, conn.transaction():
            # Instances starting together queue here; each migration runs exactly once.
            await conn.execute("SELECT pg_advisory_xact_lock($1)", LOCK_ID)
            await conn.execute("CREATE TABLE IF NOT EXISTS mcphub_schema (version int NOT NULL)")
            version = await conn.fetchval("SELECT max(version) FROM mcphub_schema") or 0
            for number, script in enumerate(MIGRATIONS[version:], start=version + 1):
                await conn.execute(script)
                await conn.execute("INSERT INTO mcphub_schema (version) VALUES ($1)", number)

    @property
    def schema_version(self) -> int:
        return len(MIGRATIONS)

    async def close(self) -> None:
        if self._watch is not None:
            self._watch.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._watch
            self._watch = None
        if self._listener is not None:
            with contextlib.suppress(Exception):
                await self._listener.close(timeout=2)
            self._listener = None
        if self._pool is not None:
            await self._pool.close()
            self._pool = None

    # ------------------------------------------------------------------ documents

    async def items(self, collection: str) -> list[tuple[str, dict[str, Any]]]:
        return await _Ops(self.pool).items(collection)

    async def get(self, collection: str, key: str) -> dict[str, Any] | None:
        return await _Ops(self.pool).get(collection, key)

    async def put(
        self, collection: str, key: str, doc: dict[str, Any], *, create: bool = False
    ) -> None:
        await _Ops(self.pool).put(collection, key, doc, create)

    async def delete(self, collection: str, key: str) -> bool:
        return await _Ops(self.pool).delete(collection, key)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Store]:
        async with self.pool.acquire() as conn, conn.transaction():
            yield TransactionView(_Ops(conn), "postgresql-transaction")

    async def replace_all(
        self,
        snapshot: dict[str, dict[str, dict[str, Any]]],
        *,
        only_if_empty: tuple[str, ...] = (),
    ) -> bool:
        """One transaction, one change record ("reload everything") instead of one per row;
        replacements queue on an advisory lock, so an emptiness check cannot race."""
        async with self.pool.acquire() as conn, conn.transaction():
            await conn.execute("SELECT pg_advisory_xact_lock($1)", REPLACE_LOCK_ID)
            if only_if_empty and await conn.fetchval(
                "SELECT EXISTS (SELECT 1 FROM mcphub_documents WHERE collection = ANY($1))",
                list(only_if_empty),
            ):
                return False
            await conn.execute("SET LOCAL mcphub.bulk = 'on'")
            ops = _Ops(conn)
            for collection, docs in snapshot.items():
                await conn.execute("DELETE FROM mcphub_documents WHERE collection = $1", collection)
                for key, doc in docs.items():
                    await ops.put(collection, key, doc, False)
            payload = {"collection": "*", "key": None, "action": "replace", "origin": self.origin}
            await conn.execute(
                "SELECT pg_notify($1, (jsonb_build_object('seq', nextval('mcphub_change_seq')) "
                "|| $2::jsonb)::text)",
                CHANNEL,
                json.dumps(payload),
            )
        return True

    # ------------------------------------------------------------------ change events

    async def change_counter(self) -> int:
        """The number of the last change any instance made (0 before the first)."""
        row = await self.pool.fetchrow("SELECT last_value, is_called FROM mcphub_change_seq")
        return int(row["last_value"]) if row and row["is_called"] else 0

    async def listen(self, callback: Callable[[ChangeEvent], None]) -> None:
        """Hand other instances' committed writes to ``callback``, from now until close."""
        self._callback = callback
        self.last_change = self.counter_at_open
        await self._start_listening()
        self._watch = asyncio.get_running_loop().create_task(self._watch_listener())

    async def _start_listening(self) -> None:
        self._lost.clear()
        # The last change heard before listening (again): any change numbered after it may
        # have been missed, even if later ones are heard on the new connection.
        heard_before = self.last_change
        conn = await self._connect()
        conn.add_termination_listener(lambda _conn: self._lost.set())
        await conn.add_listener(CHANNEL, self._heard)
        self._listener = conn
        counter = await conn.fetchval(
            "SELECT CASE WHEN is_called THEN last_value ELSE 0 END FROM mcphub_change_seq"
        )
        if int(counter) != heard_before:
            # Changes were made while nobody listened (before start, or while reconnecting).
            log.info("Change counter %s, last heard %s: resynchronising", counter, heard_before)
            self.last_change = max(self.last_change, int(counter))
            self._deliver(document_event("*", None, "replace", ""))

    async def _watch_listener(self) -> None:
        delay = 0.1
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._lost.wait(), WATCH_INTERVAL_S)
            conn = self._listener
            if not self._lost.is_set() and conn is not None:
                try:
                    await conn.fetchval("SELECT 1", timeout=WATCH_INTERVAL_S)
                    continue
                except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, TimeoutError):
                    pass
            log.warning("The change listener lost its connection; reconnecting")
            self._listener = None
            if conn is not None:
                conn.terminate()
            try:
                await self._start_listening()
                self.reconnects += 1
                delay = 0.1
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
                log.warning("Change listener reconnect failed (%s); retrying", exc)
                self._lost.set()
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)

    def _heard(self, _conn: object, _pid: int, _channel: str, payload: str) -> None:
        try:
            data = json.loads(payload)
            seq = int(data["seq"])
        except (ValueError, KeyError, TypeError):
            log.warning("Ignoring a malformed change notification")
            return
        self.last_change = max(self.last_change, seq)
        if data.get("origin") and data.get("origin") == self.origin:
            return  # this instance's own write: already live here
        event = document_event(
            str(data.get("collection") or "*"),
            data.get("key"),
            str(data.get("action") or "update"),
            str(data.get("origin") or ""),
        )
        self._deliver(event)

    def _deliver(self, event: ChangeEvent) -> None:
        if self._callback is not None:
            try:
                self._callback(event)
            except Exception:
                log.exception("Change callback failed on %s", event.kind)
