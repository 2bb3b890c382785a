"""The activity writer runs at idle CPU priority, and gets normal CPU back when a batch waits
for it too long (``mcphub_sqlite.priority``), checked on the real writer process."""

from __future__ import annotations

import os
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from mcphub_sqlite.priority import WriterPriority, reversible
from mcphub_sqlite.writer import WriterProcess

from hub.plugin_api import ActivityLog, activity_log
from tests.store_fixtures import make_store


def record(i: int) -> dict[str, Any]:
    return {"timestamp": time.time(), "server": "s", "tool": f"t{i}", "status": "success"}


@pytest.fixture
async def log(tmp_path: Path) -> AsyncIterator[ActivityLog]:
    store = make_store(f"sqlite:{tmp_path / 'hub.db'}", tmp_path)
    await store.open()
    try:
        found = activity_log(store)
        assert found is not None
        yield found
    finally:
        await store.close()


def writer_of(log: ActivityLog) -> WriterProcess:
    writer = getattr(log, "writer")  # noqa: B009 - the SQLite log's own attribute
    assert isinstance(writer, WriterProcess)
    return writer


async def test_a_started_writer_is_idle_when_it_can_be_brought_back(log: ActivityLog) -> None:
    writer = writer_of(log)
    await log.add_activities([record(0)])
    pid = writer.pid
    assert pid is not None
    assert os.getpriority(os.PRIO_PROCESS, pid) >= 10  # its own nice, whatever else
    if reversible(pid):  # root, CAP_SYS_NICE or RLIMIT_NICE: idle, and it could come back
        assert writer.priority.idle and os.sched_getscheduler(pid) == os.SCHED_IDLE
    else:  # it could not leave SCHED_IDLE again: never made idle
        assert not writer.priority.idle and os.sched_getscheduler(pid) == os.SCHED_OTHER


async def test_a_starved_writer_gets_normal_cpu_then_is_idle_again(log: ActivityLog) -> None:
    """A batch unanswered after ``starved_s`` (here at once) gives the writer normal CPU;
    the next batch after ``boost_s`` makes it idle again. Every batch is written."""
    writer = writer_of(log)
    writer.priority = WriterPriority(starved_s=0.0, boost_s=0.0)
    await log.add_activities([record(0)])
    pid = writer.pid
    assert pid is not None
    if not reversible(pid):
        assert not writer.priority.idle  # the mechanism is off where it could not recover
        return
    assert os.sched_getscheduler(pid) == os.SCHED_IDLE
    await log.add_activities([record(1)])  # answered after 0 s: "starved"
    assert writer.priority.boosts == 1
    assert os.sched_getscheduler(pid) == os.SCHED_OTHER and not writer.priority.idle
    assert os.getpriority(os.PRIO_PROCESS, pid) >= 10  # normal CPU, still below the hub
    writer.priority.starved_s = 30.0
    await log.add_activities([record(2)])  # boost_s is over: idle again before it is sent
    assert writer.priority.idle and os.sched_getscheduler(pid) == os.SCHED_IDLE
    assert writer.priority.boosts == 1
    rows, total = await log.list_activities(limit=5)
    assert total == 3 and {r["tool"] for r in rows} == {"t0", "t1", "t2"}
