"""The store contract, one suite for every backend: SQLite (the default) and PostgreSQL.

Each test runs against both (``store_kind``): documents in insertion order, atomic create,
transactions that commit together or not at all, replace_all, versioned migrations that a
second open leaves alone, the activity log, and acknowledged writes that survive SIGKILL of
the writing process in the middle of 100 concurrent writes.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

import pytest

from hub.plugin_api import ActivityLog, Store, StoreConflict, StoreError, TransactionView
from tests.store_fixtures import make_store


async def test_documents_keep_insertion_order_and_replace_in_place(store: Store) -> None:
    for key in ("b", "a", "c"):
        await store.put("servers", key, {"config": {"n": key}})
    await store.put("servers", "a", {"config": {"n": "a2"}})
    assert [k for k, _ in await store.items("servers")] == ["b", "a", "c"]
    assert await store.get("servers", "a") == {"config": {"n": "a2"}}
    assert await store.get("servers", "zz") is None
    assert await store.items("groups") == []


async def test_create_refuses_an_existing_key(store: Store) -> None:
    await store.put("users", "admin", {"username": "admin"}, create=True)
    with pytest.raises(StoreConflict):
        await store.put("users", "admin", {"username": "other"}, create=True)
    assert await store.get("users", "admin") == {"username": "admin"}


async def test_delete_reports_whether_there_was_a_document(store: Store) -> None:
    await store.put("groups", "g1", {"name": "one"})
    assert await store.delete("groups", "g1") is True
    assert await store.delete("groups", "g1") is False
    assert await store.get("groups", "g1") is None


async def test_documents_round_trip_json(store: Store) -> None:
    doc = {"s": "ünï\u2028", "n": 1.5, "b": True, "z": None, "l": [1, {"x": []}], "e": {}}
    await store.put("extra", "k", doc)
    assert await store.get("extra", "k") == doc


async def test_transaction_commits_together(store: Store) -> None:
    async with store.transaction() as tx:
        await tx.put("groups", "g1", {"name": "one"})
        await tx.put("groups", "g2", {"name": "two"})
        assert [k for k, _ in await tx.items("groups")] == ["g1", "g2"]
    assert [k for k, _ in await store.items("groups")] == ["g1", "g2"]


async def test_transaction_rolls_back_on_error(store: Store) -> None:
    await store.put("groups", "g1", {"name": "one"})
    with pytest.raises(RuntimeError):
        async with store.transaction() as tx:
            await tx.put("groups", "g2", {"name": "two"})
            await tx.delete("groups", "g1")
            raise RuntimeError("boom")
    assert [k for k, _ in await store.items("groups")] == ["g1"]


async def test_a_transaction_refuses_to_nest_open_or_close(store: Store) -> None:
    """Every backend hands out the shared ``TransactionView``: the same refusals, and a
    create conflict inside the transaction raises as it does outside."""
    await store.put("users", "admin", {"username": "admin"})
    async with store.transaction() as tx:
        assert isinstance(tx, TransactionView)
        assert tx.name.endswith("-transaction")
        with pytest.raises(StoreError, match="do not nest"):
            tx.transaction()
        with pytest.raises(StoreError, match="already open"):
            await tx.open()
        with pytest.raises(StoreError, match="not the transaction"):
            await tx.close()
        with pytest.raises(StoreConflict):
            await tx.put("users", "admin", {"username": "other"}, create=True)
    assert await store.get("users", "admin") == {"username": "admin"}


async def test_replace_all_swaps_named_collections_only(store: Store) -> None:
    await store.put("servers", "old", {"config": {}})
    await store.put("groups", "keep", {"name": "kept"})
    await store.replace_all({"servers": {"new1": {"config": {}}, "new2": {"config": {}}}})
    assert [k for k, _ in await store.items("servers")] == ["new1", "new2"]
    assert [k for k, _ in await store.items("groups")] == ["keep"]


async def test_migrations_apply_once(store_url: str, tmp_path: Path) -> None:
    for _ in range(2):
        store = make_store(store_url, tmp_path)
        await store.open()
        await store.put("system", "config", {"n": 1})
        assert getattr(store, "schema_version", 0) >= 1
        await store.close()
    store = make_store(store_url, tmp_path)
    await store.open()
    assert await store.get("system", "config") == {"n": 1}
    await store.close()


async def test_concurrent_opens_migrate_once(store_url: str, tmp_path: Path) -> None:
    """Instances starting together on an empty database: each migration runs once."""
    stores = [make_store(store_url, tmp_path) for _ in range(3)]
    await asyncio.gather(*(s.open() for s in stores))
    try:
        await stores[0].put("groups", "g", {"name": "g"})
        for other in stores[1:]:
            assert await other.get("groups", "g") == {"name": "g"}
    finally:
        await asyncio.gather(*(s.close() for s in stores))


async def test_activity_log_pages_newest_first_with_filters(store: Store) -> None:
    log = getattr(store, "activities", None)
    assert isinstance(log, ActivityLog)
    ids = []
    for i in range(5):
        server = "a" if i % 2 else "b"
        ids.append(await log.add_activity({"server": server, "tool": "t", "i": i}))
    assert ids == sorted(ids)
    rows, total = await log.list_activities(limit=2)
    assert total == 5
    assert [r["i"] for r in rows] == [4, 3]
    assert rows[0]["id"] == ids[4]
    rows, total = await log.list_activities(filters={"server": "a"}, offset=1)
    assert total == 2
    assert [r["i"] for r in rows] == [1]


WRITER = r"""
import asyncio, sys
from pathlib import Path
from mcphub_postgres.plugin import _factory as pg
from mcphub_sqlite.plugin import _factory as lite

async def main():
    url = sys.argv[1]
    store = (lite if url.startswith("sqlite:") else pg)(url, Path(sys.argv[2]))
    await store.open()
    async def write(i):
        await store.put("servers", f"s{i:03}", {"config": {"url": f"http://127.0.0.1:9/{i}"}})
        print(f"ack s{i:03}", flush=True)
    print("ready", flush=True)
    await asyncio.gather(*(write(i) for i in range(100)))
    await asyncio.Event().wait()  # until the test kills this process

asyncio.run(main())
"""


async def test_acknowledged_writes_survive_sigkill(store_url: str, tmp_path: Path) -> None:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-c", WRITER, store_url, str(tmp_path), stdout=asyncio.subprocess.PIPE
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

    store = make_store(store_url, tmp_path)
    await store.open()
    try:
        held = {key for key, _ in await store.items("servers")}
        assert set(acked) <= held
        for key in acked:
            doc = await store.get("servers", key)
            assert doc == {"config": {"url": f"http://127.0.0.1:9/{int(key[1:])}"}}
    finally:
        await store.close()


async def test_seeding_only_into_an_empty_store_is_atomic(store_url: str, tmp_path: Path) -> None:
    """Instances seeding one empty store together: exactly one writes its snapshot."""
    stores = [make_store(store_url, tmp_path) for _ in range(3)]
    for s in stores:
        await s.open()
    try:
        snapshots = [{"servers": {f"from{i}": {"config": {}}}} for i in range(3)]
        written = await asyncio.gather(
            *(
                s.replace_all(snap, only_if_empty=("servers", "users"))
                for s, snap in zip(stores, snapshots, strict=True)
            )
        )
        assert sorted(written) == [False, False, True]
        winner = written.index(True)
        assert [k for k, _ in await stores[0].items("servers")] == [f"from{winner}"]
        assert await stores[1].replace_all({"groups": {}}, only_if_empty=("servers",)) is False
        assert await stores[1].replace_all({"groups": {}}, only_if_empty=("groups",)) is True
    finally:
        for s in stores:
            await s.close()
