"""The ActivityLog contract, every method on every backend (SQLite and PostgreSQL).

The same records go into both stores and each read must give the same answer: substring
filters case-sensitive, exact status and key id, inclusive time bounds, visibility of the
owned records, newest first by timestamp then id, stats, sorted distinct filter values,
reads by id, and deletion by age. A store written by the schema before the activity
columns existed is migrated so its old records are filtered too.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import asyncpg
from mcphub_postgres import schema

from hub.config.migrate import copy_activities
from hub.plugin_api import ActivityLog, ActivityQuery, Store, activity_log
from tests.pg_fixtures import create_database, drop_database
from tests.store_fixtures import make_store

NOW = 1_800_000_000.0


def records() -> list[dict[str, Any]]:
    """Twelve records one second apart (the newest is i = 0), with every field set somewhere."""
    rows: list[dict[str, Any]] = []
    for i in range(12):
        rows.append(
            {
                "timestamp": NOW - i,
                "server": ("Alpha-web", "beta", "alpha-db")[i % 3],
                "tool": ("search", "fetch")[i % 2],
                "duration": 10 * i + 1,
                "status": "error" if i % 4 == 0 else "success",
                "input": '{"q":"string"}',
                "output": '{"isError":false}',
                "group": "ops-team" if i < 6 else None,
                "keyId": "k1" if i % 5 == 0 else None,
                "keyName": "ci-key" if i % 5 == 0 else None,
                "user": "alice" if i in (7, 8) else None,
                "errorMessage": "boom" if i % 4 == 0 else None,
                "via": "mcp",
                "i": i,
            }
        )
    return rows


async def filled(store: Store) -> ActivityLog:
    log = activity_log(store)
    assert log is not None, "the backend must offer the whole ActivityLog contract"
    # Written oldest first, in two batches, as the recorder does.
    batch = list(reversed(records()))
    await log.add_activities(batch[:5])
    await log.add_activities(batch[5:])
    await log.add_activities([])
    return log


def order(rows: list[dict[str, Any]]) -> list[int]:
    return [row["i"] for row in rows]


async def test_query_pages_newest_first_with_every_filter(store: Store) -> None:
    log = await filled(store)
    rows, total = await log.query_activities(ActivityQuery(), limit=5, offset=0)
    assert total == 12 and order(rows) == [0, 1, 2, 3, 4]
    rows, total = await log.query_activities(ActivityQuery(), limit=5, offset=10)
    assert total == 12 and order(rows) == [10, 11]
    one = rows[0]
    assert isinstance(one["id"], str)
    assert {k: v for k, v in one.items() if k != "id"} == records()[10]

    async def matching(**filters: Any) -> list[int]:
        rows, total = await log.query_activities(ActivityQuery(**filters), limit=100, offset=0)
        assert total == len(rows)
        return order(rows)

    # Substrings, case-sensitive: "alpha" is in "alpha-db", not in "Alpha-web".
    assert await matching(server="alpha") == [2, 5, 8, 11]
    assert await matching(server="lpha") == [0, 2, 3, 5, 6, 8, 9, 11]
    assert await matching(tool="etc") == [1, 3, 5, 7, 9, 11]
    assert await matching(group="ops") == [0, 1, 2, 3, 4, 5]
    assert await matching(key_name="ci") == [0, 5, 10]
    # Exact values.
    assert await matching(status="error") == [0, 4, 8]
    assert await matching(status="err") == []
    assert await matching(key_id="k1") == [0, 5, 10]
    assert await matching(key_id="k") == []
    # Inclusive time bounds.
    assert await matching(since=NOW - 3, until=NOW - 1) == [1, 2, 3]
    assert await matching(since=NOW - 1) == [0, 1]
    # Filters combine.
    assert await matching(server="beta", status="error") == [4]
    # Visibility: own servers, own keys, own calls.
    assert await matching(only_owned=True) == []
    assert await matching(only_owned=True, user="alice") == [7, 8]
    assert await matching(only_owned=True, servers=("beta",)) == [1, 4, 7, 10]
    assert await matching(only_owned=True, keys=("k1",), user="alice") == [0, 5, 7, 8, 10]
    assert await matching(only_owned=True, servers=("beta", "alpha-db"), status="error") == [4, 8]


async def test_equal_timestamps_order_by_insertion(store: Store) -> None:
    log = activity_log(store)
    assert log is not None
    await log.add_activities(
        [{"timestamp": NOW, "tool": "first"}, {"timestamp": NOW, "tool": "second"}]
    )
    await log.add_activity({"timestamp": NOW - 5, "tool": "older, written last"})
    rows, _ = await log.query_activities(ActivityQuery(), limit=10, offset=0)
    assert [row["tool"] for row in rows] == ["second", "first", "older, written last"]


async def test_stats_count_and_average(store: Store) -> None:
    log = await filled(store)
    assert await log.activity_stats(ActivityQuery()) == {
        "totalCalls": 12,
        "successCount": 9,
        "errorCount": 3,
        "avgDuration": 56,  # mean of 1, 11, …, 111 = 56
    }
    assert await log.activity_stats(ActivityQuery(status="error")) == {
        "totalCalls": 3,
        "successCount": 0,
        "errorCount": 3,
        "avgDuration": 41,  # (1 + 41 + 81) / 3
    }
    assert await log.activity_stats(ActivityQuery(server="nothing")) == {
        "totalCalls": 0,
        "successCount": 0,
        "errorCount": 0,
        "avgDuration": 0,
    }


async def test_filters_list_distinct_sorted_values(store: Store) -> None:
    log = await filled(store)
    assert await log.activity_filters(ActivityQuery()) == {
        "servers": ["Alpha-web", "alpha-db", "beta"],  # bytewise: upper case first
        "tools": ["fetch", "search"],
        "groups": ["ops-team"],
        "keyNames": ["ci-key"],
    }
    assert await log.activity_filters(ActivityQuery(only_owned=True, user="alice")) == {
        "servers": ["alpha-db", "beta"],
        "tools": ["fetch", "search"],
        "groups": [],
        "keyNames": [],
    }


async def test_get_by_id_and_unknown_ids(store: Store) -> None:
    log = await filled(store)
    rows, _ = await log.query_activities(ActivityQuery(), limit=1, offset=3)
    assert await log.get_activity(rows[0]["id"]) == rows[0]
    new_id = await log.add_activity({"timestamp": NOW + 1, "tool": "single"})
    single = await log.get_activity(str(new_id))
    assert single is not None and single["tool"] == "single" and single["id"] == str(new_id)
    for unknown in ("999999", "abc", "", "-1", "1.5", "²", "9" * 30):
        assert await log.get_activity(unknown) is None


async def test_delete_before_a_time(store: Store) -> None:
    log = await filled(store)
    assert await log.delete_activities(NOW - 9) == 2  # i = 10, 11; i = 9 is at the bound
    rows, total = await log.query_activities(ActivityQuery(), limit=100, offset=0)
    assert total == 10 and order(rows) == list(range(10))
    assert await log.delete_activities(NOW - 100) == 0


async def test_list_activities_keeps_the_old_exact_filters(store: Store) -> None:
    log = await filled(store)
    rows, total = await log.list_activities(limit=3, filters={"server": "beta"})
    assert total == 4 and order(rows) == [1, 4, 7]  # by id: written oldest first
    rows, total = await log.list_activities(filters={"server": "bet"})
    assert total == 0 and rows == []


async def test_postgres_records_from_before_the_columns_are_filtered(tmp_path: Path) -> None:
    """Records written under migrations 1-2 (only ``doc`` knew group, key, user and
    duration) are filled in by the migration that adds those columns."""
    url = await create_database()
    try:
        conn = await asyncpg.connect(url)
        try:
            async with conn.transaction():
                await conn.execute("CREATE TABLE mcphub_schema (version int NOT NULL)")
                for number, script in enumerate(schema.MIGRATIONS[:2], start=1):
                    await conn.execute(script)
                    await conn.execute("INSERT INTO mcphub_schema (version) VALUES ($1)", number)
            for row in records():
                await conn.execute(
                    "INSERT INTO mcphub_activities (timestamp, server, tool, status, doc) "
                    "VALUES ($1, $2, $3, $4, $5)",
                    row["timestamp"],
                    row["server"],
                    row["tool"],
                    row["status"],
                    json.dumps(row),
                )
        finally:
            await conn.close()
        store = make_store(url, tmp_path)
        await store.open()
        try:
            assert getattr(store, "schema_version", 0) == len(schema.MIGRATIONS)
            log = activity_log(store)
            assert log is not None
            rows, total = await log.query_activities(
                ActivityQuery(group="ops", key_id="k1"), limit=10, offset=0
            )
            assert total == 2 and order(rows) == [0, 5]
            rows, _ = await log.query_activities(
                ActivityQuery(only_owned=True, user="alice"), limit=10, offset=0
            )
            assert order(rows) == [7, 8]
            stats = await log.activity_stats(ActivityQuery())
            assert stats["avgDuration"] == 56
        finally:
            await store.close()
    finally:
        await drop_database(url)


async def test_copy_moves_every_record_to_the_other_backend(
    store: Store, store_url: str, tmp_path: Path
) -> None:
    """``mcphub migrate``'s copy, both ways: more than one page, order and fields kept."""
    source = activity_log(store)
    assert source is not None
    written = [{**records()[i % 12], "timestamp": NOW + i, "n": i} for i in range(1203)]
    await source.add_activities(written)
    other = await create_database() if store_url.startswith("sqlite:") else ""
    target_store = make_store(other or f"sqlite:{tmp_path / 'target.db'}", tmp_path)
    await target_store.open()
    try:
        target = activity_log(target_store)
        assert target is not None
        assert await copy_activities(source, target) == 1203
        rows, total = await target.query_activities(ActivityQuery(), limit=2000, offset=0)
        assert total == 1203
        assert [{k: v for k, v in r.items() if k != "id"} for r in rows] == written[::-1]
        by_id, _ = await target.list_activities(limit=1)
        assert by_id[0]["n"] == 1202  # ids follow the source's order
        assert await target.activity_stats(ActivityQuery()) == await source.activity_stats(
            ActivityQuery()
        )
        assert await target.activity_filters(
            ActivityQuery(key_id="k1")
        ) == await source.activity_filters(ActivityQuery(key_id="k1"))
    finally:
        await target_store.close()
        if other:
            await drop_database(other)
