"""SQLite store: one file in the data dir, WAL journal, one connection, versioned migrations.

One connection serialises the store's writes in order; ``synchronous=FULL`` makes every
acknowledged commit durable even if the process is killed right after. Batches of
activity records are appended by a writer process of their own (``activities``).
"""

from __future__ import annotations

import asyncio
import json
import logging
import sqlite3
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiosqlite

from hub.plugin_api import Store, StoreError, TransactionView
from hub.plugin_api import StoreConflict as Conflict
from mcphub_sqlite.activities import SQLiteActivityLog
from mcphub_sqlite.writer import WriterProcess

# aiosqlite logs every statement with its parameters at DEBUG. Documents hold password and
# key hashes and the log buffer is served over HTTP, so that logger never goes below INFO.
logging.getLogger("aiosqlite").setLevel(logging.INFO)

MIGRATIONS: list[str] = [
    # 1: documents of every collection, and the activity log.
    """
    CREATE TABLE documents (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        collection TEXT NOT NULL,
        key TEXT NOT NULL,
        doc TEXT NOT NULL,
        updated_at REAL NOT NULL,
        UNIQUE (collection, key)
    );
    CREATE TABLE activities (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        timestamp REAL NOT NULL,
        server TEXT,
        tool TEXT,
        status TEXT,
        principal TEXT,
        doc TEXT NOT NULL
    );
    CREATE INDEX activities_timestamp ON activities (timestamp);
    """,
    # 2: activity columns for MCPHub's filters (group, key, user) and the duration stats.
    """
    ALTER TABLE activities ADD COLUMN grp TEXT;
    ALTER TABLE activities ADD COLUMN key_id TEXT;
    ALTER TABLE activities ADD COLUMN key_name TEXT;
    ALTER TABLE activities ADD COLUMN usr TEXT;
    ALTER TABLE activities ADD COLUMN duration INTEGER;
    CREATE INDEX activities_server ON activities (server)
    """,
    # 3: a column per record field instead of the whole record again as JSON (``doc``);
    # what a column cannot hold goes to ``extra`` (``mcphub_sqlite.activity_rows``).
    """
    CREATE TABLE activities_3 (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        timestamp REAL NOT NULL,
        server, tool, duration, status, input, output, grp, key_id, key_name, usr,
        error_message, via, principal,
        extra TEXT
    );
    INSERT INTO activities_3 (id, timestamp, server, tool, duration, status, input, output,
        grp, key_id, key_name, usr, error_message, via, principal, extra)
    SELECT id, timestamp, json_extract(doc, '$.server'), json_extract(doc, '$.tool'),
        json_extract(doc, '$.duration'), json_extract(doc, '$.status'),
        json_extract(doc, '$.input'), json_extract(doc, '$.output'),
        json_extract(doc, '$.group'), json_extract(doc, '$.keyId'),
        json_extract(doc, '$.keyName'), json_extract(doc, '$.user'),
        json_extract(doc, '$.errorMessage'), json_extract(doc, '$.via'),
        json_extract(doc, '$.principal'),
        NULLIF(json_remove(doc, '$.timestamp', '$.server', '$.tool', '$.duration',
            '$.status', '$.input', '$.output', '$.group', '$.keyId', '$.keyName', '$.user',
            '$.errorMessage', '$.via', '$.principal'), '{}')
    FROM activities;
    DROP TABLE activities;
    ALTER TABLE activities_3 RENAME TO activities;
    CREATE INDEX activities_timestamp ON activities (timestamp);
    CREATE INDEX activities_server ON activities (server)
    """,
]


class _Ops:
    """Statements shared by the store and its transactions (which skip the commit)."""

    def __init__(self, db: aiosqlite.Connection) -> None:
        self.db = db

    async def items(self, collection: str) -> list[tuple[str, dict[str, Any]]]:
        async with self.db.execute(
            "SELECT key, doc FROM documents WHERE collection = ? ORDER BY seq", (collection,)
        ) as cur:
            return [(key, json.loads(doc)) for key, doc in await cur.fetchall()]

    async def get(self, collection: str, key: str) -> dict[str, Any] | None:
        async with self.db.execute(
            "SELECT doc FROM documents WHERE collection = ? AND key = ?", (collection, key)
        ) as cur:
            row = await cur.fetchone()
        return json.loads(row[0]) if row else None

    async def put(self, collection: str, key: str, doc: dict[str, Any], create: bool) -> None:
        text = json.dumps(doc, separators=(",", ":"))
        if create:
            try:
                await self.db.execute(
                    "INSERT INTO documents (collection, key, doc, updated_at) VALUES (?,?,?,?)",
                    (collection, key, text, time.time()),
                )
            except aiosqlite.IntegrityError as exc:
                raise Conflict(f"{collection} {key!r} already exists") from exc
        else:
            await self.db.execute(
                "INSERT INTO documents (collection, key, doc, updated_at) VALUES (?,?,?,?) "
                "ON CONFLICT (collection, key) DO UPDATE SET doc = excluded.doc, "
                "updated_at = excluded.updated_at",
                (collection, key, text, time.time()),
            )

    async def delete(self, collection: str, key: str) -> bool:
        cur = await self.db.execute(
            "DELETE FROM documents WHERE collection = ? AND key = ?", (collection, key)
        )
        return cur.rowcount > 0


class SQLiteStore(Store):
    """The embedded default store."""

    name = "sqlite"

    def __init__(self, path: Path) -> None:
        self.path = path
        self._db: aiosqlite.Connection | None = None
        self._lock = asyncio.Lock()
        self.activities = SQLiteActivityLog(lambda: self.db, self._lock, WriterProcess(path))
        """The activity log, in the same file (``hub.plugin_api.ActivityLog``)."""

    @property
    def db(self) -> aiosqlite.Connection:
        if self._db is None:
            raise StoreError("store is not open")
        return self._db

    async def open(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._db = await aiosqlite.connect(self.path, isolation_level=None)
        await self._db.execute("PRAGMA busy_timeout=5000")
        await self._wal()
        await self._db.execute("PRAGMA synchronous=FULL")
        await self._migrate()

    async def _wal(self) -> None:
        """Switch to WAL. The switch needs the file to itself, and SQLite may answer "locked"
        at once (without its busy handler) while another process opens the same new file:
        try again for up to 5 s, then give up with the error."""
        for attempt in range(50):
            try:
                await self.db.execute("PRAGMA journal_mode=WAL")
                return
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) or attempt == 49:
                    raise
                await asyncio.sleep(0.1)

    async def _migrate(self) -> None:
        # The version is read inside the write lock: processes opening one file together
        # queue here, and each migration runs exactly once.
        await self.db.execute("BEGIN IMMEDIATE")
        try:
            async with self.db.execute("PRAGMA user_version") as cur:
                row = await cur.fetchone()
            version = row[0] if row else 0
            for number, script in enumerate(MIGRATIONS[version:], start=version + 1):
                for statement in filter(str.strip, script.split(";")):
                    await self.db.execute(statement)
                await self.db.execute(f"PRAGMA user_version = {number}")
            await self.db.execute("COMMIT")
        except BaseException:
            await self.db.execute("ROLLBACK")
            raise

    @property
    def schema_version(self) -> int:
        return len(MIGRATIONS)

    async def close(self) -> None:
        await self.activities.close()
        if self._db is not None:
            await self._db.close()
            self._db = None

    async def items(self, collection: str) -> list[tuple[str, dict[str, Any]]]:
        return await _Ops(self.db).items(collection)

    async def get(self, collection: str, key: str) -> dict[str, Any] | None:
        return await _Ops(self.db).get(collection, key)

    async def put(
        self, collection: str, key: str, doc: dict[str, Any], *, create: bool = False
    ) -> None:
        async with self._lock:
            await _Ops(self.db).put(collection, key, doc, create)

    async def delete(self, collection: str, key: str) -> bool:
        async with self._lock:
            return await _Ops(self.db).delete(collection, key)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Store]:
        async with self._lock:
            await self.db.execute("BEGIN IMMEDIATE")
            try:
                yield TransactionView(_Ops(self.db), "sqlite-transaction")
            except BaseException:
                await self.db.execute("ROLLBACK")
                raise
            await self.db.execute("COMMIT")
