"""Acknowledged writes survive SIGKILL of the process in the middle of 100 concurrent writes."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

from mcphub_sqlite.store import SQLiteStore

WRITER = r"""
import asyncio, sys
from pathlib import Path
from mcphub_sqlite.store import SQLiteStore

async def main():
    store = SQLiteStore(Path(sys.argv[1]))
    await store.open()
    async def write(i):
        await store.put("servers", f"s{i:03}", {"config": {"url": f"http://127.0.0.1:9/{i}"}})
        print(f"ack s{i:03}", flush=True)
    print("ready", flush=True)
    await asyncio.gather(*(write(i) for i in range(100)))
    await asyncio.Event().wait()  # until the test kills this process

asyncio.run(main())
"""


async def test_acknowledged_writes_survive_sigkill(tmp_path: Path) -> None:
    db = tmp_path / "hub.db"
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-c", WRITER, str(db), stdout=asyncio.subprocess.PIPE
    )
    assert proc.stdout is not None
    acked: list[str] = []
    assert (await proc.stdout.readline()).strip() == b"ready"
    while len(acked) < 30:
        line = (await proc.stdout.readline()).decode().split()
        acked.append(line[1])
    os.kill(proc.pid, signal.SIGKILL)
    # Lines already written by the child were acknowledged too.
    rest = (await proc.stdout.read()).decode().split("\n")
    acked += [line.split()[1] for line in rest if line.startswith("ack ")]
    await proc.wait()
    assert proc.returncode == -signal.SIGKILL

    store = SQLiteStore(db)
    await store.open()
    try:
        held = {key for key, _ in await store.items("servers")}
        assert set(acked) <= held
        for key in acked:
            doc = await store.get("servers", key)
            assert doc == {"config": {"url": f"http://127.0.0.1:9/{int(key[1:])}"}}
    finally:
        await store.close()


async def test_transaction_rolls_back_on_error(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "hub.db")
    await store.open()
    try:
        await store.put("groups", "g1", {"name": "one"})
        try:
            async with store.transaction() as tx:
                await tx.put("groups", "g2", {"name": "two"})
                await tx.delete("groups", "g1")
                raise RuntimeError("boom")
        except RuntimeError:
            pass
        assert [k for k, _ in await store.items("groups")] == ["g1"]
    finally:
        await store.close()


async def test_migrations_are_versioned_and_idempotent(tmp_path: Path) -> None:
    path = tmp_path / "hub.db"
    for _ in range(2):
        store = SQLiteStore(path)
        await store.open()
        async with store.db.execute("PRAGMA user_version") as cur:
            assert (await cur.fetchone())[0] == store.schema_version
        async with store.db.execute("PRAGMA journal_mode") as cur:
            assert (await cur.fetchone())[0] == "wal"
        await store.close()
