"""The activity writer gathers calls that come one at a time into one transaction."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from mcphub_activity.recorder import Recorder
from mcphub_activity.summary import (
    capped,
    input_text,
    output_text,
    summarize_arguments,
    summarize_result,
)

from hub.plugin_api import ActivityLog, activity_log
from hub.testing import wait_for
from tests.store_fixtures import make_store


class CountingLog:
    """The real SQLite activity log, counting the transactions the writer asks of it."""

    def __init__(self, inner: ActivityLog) -> None:
        self.inner = inner
        self.batches: list[int] = []

    async def add_activities(self, activities: list[dict[str, Any]]) -> None:
        self.batches.append(len(activities))
        await self.inner.add_activities(activities)


def record(i: int) -> dict[str, Any]:
    return {
        "timestamp": time.time(),
        "server": "s",
        "tool": f"t{i}",
        "duration": 1,
        "status": "success",
        "via": "mcp",
    }


@pytest.fixture
async def log(tmp_path: Path) -> AsyncIterator[ActivityLog]:
    """The activity log of a real SQLite store file."""
    store = make_store(f"sqlite:{tmp_path / 'hub.db'}", tmp_path)
    await store.open()
    try:
        found = activity_log(store)
        assert found is not None
        yield found
    finally:
        await store.close()


async def test_calls_one_at_a_time_share_a_transaction(log: ActivityLog) -> None:
    counting = CountingLog(log)
    rec = Recorder(counting, gather=0.2)  # type: ignore[arg-type]
    rec.start()
    for i in range(20):  # a call every millisecond
        rec.offer(record(i))
        await asyncio.sleep(0.001)
    await wait_for(lambda: rec.written == 20)
    assert len(counting.batches) < 5, counting.batches  # not one write per call
    rows, total = await log.list_activities(limit=50)
    assert total == 20 and {r["tool"] for r in rows} == {f"t{i}" for i in range(20)}
    await rec.close()


async def test_a_full_batch_is_written_without_waiting(log: ActivityLog) -> None:
    rec = Recorder(log, batch=10, gather=60.0)
    rec.start()
    for i in range(10):
        rec.offer(record(i))
    await wait_for(lambda: rec.written == 10, within=5)  # long before the 60 s gather
    rec.offer(record(10))
    await rec.close()  # closing writes what waits
    assert rec.written == 11


def test_input_summaries_made_once_per_shape_match_the_summary() -> None:
    """The cached input summary is the summary: the same names and types give the same
    text whatever the values, and another type of one value gives another text."""
    shapes = [
        None,
        {},
        {"text": "a", "n": 1},
        {"text": "b", "n": 2.5},
        {"text": "c", "n": True},
        {"text": None, "n": [1], "o": {"k": 1}},
    ]
    for arguments in shapes * 2:
        assert input_text(arguments) == capped(summarize_arguments(arguments))
    assert input_text({"text": "a", "n": 1}) != input_text({"text": "a", "n": True})


def test_output_summaries_written_directly_match_the_summary() -> None:
    """The direct text of a plain-text result is the summary's JSON, and every other
    result takes the summary's own way."""
    results: list[dict[str, Any]] = [
        {"content": [{"type": "text", "text": "hello"}]},
        {"content": [{"type": "text", "text": "hello"}], "isError": False},
        {"content": [{"type": "text", "text": ' {"a": 1}'}], "isError": True},
        {"content": [{"type": "text", "text": "[1]"}, {"type": "text", "text": "żółw ✓"}]},
        {"content": [{"type": "text", "text": "x"}], "structuredContent": {"x": 1}},
        {"isError": False, "content": [{"type": "text", "text": ""}], 'we"ird\n': 1},
        {"content": [{"text": "reversed keys", "type": "text"}]},
        {"content": [{"type": "image", "data": "AA==", "mimeType": "image/png"}]},
        {"content": [{"type": "text", "text": "a", "annotations": {}}]},
        {"content": [{"type": "text", "text": 5}]},
        {"content": []},
        {"content": "not a list"},
        {},
        {"content": [{"type": "text", "text": "many"}] * 150},
    ]
    for result in results * 2:
        assert output_text(result) == capped(summarize_result(result)), result


async def test_a_batch_is_one_insert_in_autocommit_and_a_larger_one_a_transaction(
    tmp_path: Path,
) -> None:
    """Up to ``ROWS_PER_INSERT`` records are one statement (one trip to the connection's
    thread, committed when it returns); more are chunked inside BEGIN ... COMMIT."""
    from mcphub_sqlite.activities import ROWS_PER_INSERT

    store = make_store(f"sqlite:{tmp_path / 'hub.db'}", tmp_path)
    await store.open()
    try:
        found = activity_log(store)
        assert found is not None
        statements: list[str] = []
        await store.db.set_trace_callback(statements.append)  # type: ignore[attr-defined]
        await found.add_activities([record(i) for i in range(ROWS_PER_INSERT)])
        words = [s.split(None, 1)[0].upper() for s in statements]
        assert words == ["INSERT"]
        statements.clear()
        await found.add_activities([record(i) for i in range(ROWS_PER_INSERT + 1)])
        words = [s.split(None, 1)[0].upper() for s in statements]
        assert words == ["BEGIN", "INSERT", "INSERT", "COMMIT"]
        await store.db.set_trace_callback(None)  # type: ignore[attr-defined]
        rows, total = await found.list_activities(limit=1)
        assert total == 2 * ROWS_PER_INSERT + 1 and rows[0]["tool"] == f"t{ROWS_PER_INSERT}"
    finally:
        await store.close()
