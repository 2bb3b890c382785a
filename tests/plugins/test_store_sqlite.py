"""What only the SQLite store promises: a WAL journal and its schema version in the file."""

from __future__ import annotations

from pathlib import Path

from mcphub_sqlite.store import SQLiteStore


async def test_schema_version_and_wal_journal(tmp_path: Path) -> None:
    path = tmp_path / "hub.db"
    for _ in range(2):
        store = SQLiteStore(path)
        await store.open()
        async with store.db.execute("PRAGMA user_version") as cur:
            assert (await cur.fetchone())[0] == store.schema_version
        async with store.db.execute("PRAGMA journal_mode") as cur:
            assert (await cur.fetchone())[0] == "wal"
        await store.close()
