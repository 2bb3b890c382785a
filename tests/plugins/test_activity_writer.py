"""The activity writer gathers calls that come one at a time into one transaction, in a
process of its own at idle CPU priority."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sqlite3
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from mcphub_activity.plugin import rows_writer
from mcphub_activity.recorder import Recorder
from mcphub_sqlite import activity_rows, activity_writer
from mcphub_sqlite.activity_writer import ROWS_PER_INSERT
from mcphub_sqlite.priority import WriterPriority, reversible
from mcphub_sqlite.store import MIGRATIONS
from mcphub_sqlite.writer import WriterProcess, packed, packed_rows

from hub.activity_calls import (
    PackedRows,
    Waiting,
    call_input,
    call_output,
    input_text,
    output_text,
    pack_rows,
    record_of_call,
)
from hub.plugin_api import ActivityLog, ActivityQuery, StoreError, activity_log
from hub.services import activities as services_activities
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


async def traced_writer_db(tmp_path: Path) -> tuple[sqlite3.Connection, list[str]]:
    """The writer process's own connection to a new store file (the store made the
    schema), and the statements it runs from now on."""
    store = make_store(f"sqlite:{tmp_path / 'hub.db'}", tmp_path)
    await store.open()
    await store.close()
    db = activity_writer.connect(str(tmp_path / "hub.db"))
    statements: list[str] = []
    db.set_trace_callback(statements.append)
    return db, statements


async def test_a_batch_is_one_insert_in_autocommit_and_a_larger_one_a_transaction(
    tmp_path: Path,
) -> None:
    """The writer process's own ``write``: up to ``ROWS_PER_INSERT`` records are one
    statement (committed when it returns); more are chunked inside BEGIN ... COMMIT."""
    db, statements = await traced_writer_db(tmp_path)
    rows = ROWS_PER_INSERT
    activity_writer.write(db, [record(i) for i in range(rows)])
    assert [s.split(None, 1)[0].upper() for s in statements] == ["INSERT"]
    statements.clear()
    activity_writer.write(db, [record(i) for i in range(rows + 1)])
    words = [s.split(None, 1)[0].upper() for s in statements]
    assert words == ["BEGIN", "INSERT", "INSERT", "COMMIT"]
    db.set_trace_callback(None)
    assert db.execute("SELECT COUNT(*) FROM activities").fetchone() == (2 * rows + 1,)
    db.close()


async def test_a_frame_of_packs_is_inserted_a_pack_at_a_time_in_one_transaction(
    tmp_path: Path,
) -> None:
    """The hub's packs reach the writer as they are, a line each: every pack is one INSERT,
    all of a frame's inside one transaction (one pack alone: one INSERT in autocommit). A
    newline inside a value stays in its JSON string; an integer SQLite refuses makes the
    whole frame be written again with it in ``extra``, no row twice."""
    db, statements = await traced_writer_db(tmp_path)

    def row(i: int, duration: int = 3) -> tuple[Any, ...]:
        arguments = {"text": f"line {i}\nnext"}
        result = {"content": [{"type": "text", "text": f"{i}\n"}], "isError": False}
        return (float(i), "s", f"t{i}", duration, "success", arguments, result,
                None, None, None, None, "u", "mcp")  # fmt: skip

    def words() -> list[str]:
        out = [s.split(None, 1)[0].upper() for s in statements]
        statements.clear()
        return out

    packs = [pack_rows([row(0), row(1)]), pack_rows([]), pack_rows([row(2)]), pack_rows([row(3)])]
    payload = packed_rows(packs)[activity_writer.FRAME.size :]
    assert payload[:1] == activity_writer.PACKS and payload.count(b"\n") == 2
    activity_writer.write_payload(db, payload)
    assert words() == ["BEGIN", "INSERT", "INSERT", "INSERT", "COMMIT"]
    activity_writer.write_payload(db, packed_rows([pack_rows([row(4)])])[4:])
    assert words() == ["INSERT"]
    huge = packed_rows([pack_rows([row(5)]), pack_rows([row(6, duration=2**63)])])[4:]
    activity_writer.write_payload(db, huge)  # refused when bound, then made again
    assert words() == ["BEGIN", "INSERT", "ROLLBACK", "BEGIN", "INSERT", "INSERT", "COMMIT"]
    db.set_trace_callback(None)
    got = {
        values[2]: activity_rows.record_of(values)
        for values in db.execute(f"SELECT {', '.join(activity_rows.COLUMNS)} FROM activities")
    }
    assert sorted(got) == [f"t{i}" for i in range(7)]
    for i in range(7):
        assert got[f"t{i}"] == record_of_call(row(i, 2**63 if i == 6 else 3))
    assert activity_writer.unpacked(payload) == [list(row(i)) for i in range(4)]
    db.close()


async def test_an_insert_names_only_the_columns_some_row_fills(tmp_path: Path) -> None:
    """Columns most calls leave NULL (group, key, error, ...) are named in an INSERT only
    when a row of it has a value there; every record reads back whole either way."""
    db, statements = await traced_writer_db(tmp_path)
    plain = [record(0), record(1)]
    keyed = [record(2), {**record(3), "keyId": "k3", "errorMessage": "boom", "extra": [1]}]
    activity_writer.write(db, plain)
    activity_writer.write(db, keyed)
    db.set_trace_callback(None)
    named = [s.split("(", 1)[1].split(")", 1)[0].split(", ") for s in statements]
    assert "grp" not in named[0] and "key_id" not in named[0] and "server" in named[0]
    assert {"key_id", "error_message", "extra"} <= set(named[1]) and "grp" not in named[1]
    rows = db.execute(f"SELECT {', '.join(activity_rows.COLUMNS)} FROM activities ORDER BY id")
    got = [activity_rows.record_of(values) for values in rows]
    for made, given in zip(got, plain + keyed, strict=True):
        assert made == {**dict.fromkeys(activity_rows.FIELDS), **given}
    db.close()


def test_a_row_gives_back_the_record_it_was_made_of() -> None:
    """A column per field, and ``extra`` for the rest: every record reads back as written,
    with the fields it lacked as None (a missing timestamp is now). The fields are the
    API's (the writer cannot import the hub to share its list)."""
    records: list[dict[str, Any]] = [
        record(1),
        {**record(1), "group": "g", "keyId": "k1", "keyName": "ci", "input": '{"a":1}'},
        {**record(2), "user": "żółw", "errorMessage": "boom\n", "output": None},
        {**record(3), "duration": 2**70, "via": True, "input": {"a": [1]}, "principal": "p"},
        {**record(4), "n": 5, "tags": ["x"], "flag": False},
    ]
    for rec in records:
        for strict in (False, True):
            values = activity_rows.row_values(rec, strict=strict)
            assert len(values) == len(activity_rows.COLUMNS)
            assert activity_rows.record_of(values) == {
                **dict.fromkeys(activity_rows.FIELDS),
                **rec,
            }, rec
    assert ("id", *activity_rows.FIELDS) == services_activities.FIELDS
    plain = activity_rows.row_values(record(1))
    assert plain[-1] is None and plain[-2] is None  # no extra, no principal: nothing more
    bare = activity_rows.row_values({"server": "s"})
    assert abs(bare[0] - time.time()) < 5 and bare[1] == "s"


async def test_odd_values_survive_the_writer_process(log: ActivityLog) -> None:
    """Through the real writer: an integer past 64 bits makes SQLite refuse the statement,
    and the batch is written again with such values in ``extra``."""
    odd = {**record(7), "duration": 2**70, "flag": True, "nested": {"k": [1, 2]}}
    plain = {**record(6), "timestamp": odd["timestamp"] - 1}
    await log.add_activities([plain, odd])
    rows, total = await log.query_activities(ActivityQuery(), limit=10, offset=0)
    assert total == 2
    assert {k: v for k, v in rows[0].items() if k != "id"} == {
        **dict.fromkeys(activity_rows.FIELDS),
        **odd,
    }
    assert rows[1]["tool"] == "t6" and rows[1]["duration"] == 1


async def test_the_writer_process_makes_the_records_of_call_rows(log: ActivityLog) -> None:
    """Packed call rows reach the writer process with their summaries still to make (the
    call's own arguments and result, or their JSON); what is read back is the record made
    at once, and several packs and a batch of records follow each other."""
    arguments = {"text": "hi", "n": 2}
    result = {"content": [{"type": "text", "text": "[1]"}], "isError": False}
    waited = (1.0, "s", "t0", 3, "success", call_input(arguments), call_output(result))
    assert type(waited[5]) is Waiting and type(waited[6]) is Waiting
    rows = [
        (*waited, None, "k1", "key one", None, None, "mcp"),
        (2.0, "s", "t1", 4, "error", input_text(None), None, "g", None, None, "boom", "u", "sse"),
        (3.0, "s", "t3", 5, "success", arguments, result, None, None, None, None, "u", "mcp"),
    ]
    add_calls = getattr(log, "add_calls")  # noqa: B009 - optional: not in the protocol
    await add_calls([pack_rows(rows[:2]), pack_rows([]), pack_rows(rows[2:])])
    await log.add_activities([record(2)])
    got, total = await log.list_activities(limit=5)
    assert total == 4
    by_tool = {r["tool"]: {k: v for k, v in r.items() if k != "id"} for r in got}
    assert by_tool["t0"] == record_of_call(rows[0])
    assert json.loads(by_tool["t0"]["input"])["valueTypes"] == {"text": "string", "n": "number"}
    assert json.loads(by_tool["t0"]["output"])["content"][0]["text"]["looksLikeJson"] is True
    assert by_tool["t1"] == record_of_call(rows[1])
    assert by_tool["t3"] == record_of_call(rows[2])
    assert {k: v for k, v in by_tool["t3"].items() if k != "tool"} == {
        k: v for k, v in by_tool["t0"].items() if k not in ("tool", "timestamp", "duration")
    } | {"timestamp": 3.0, "duration": 5, "keyId": None, "keyName": None, "user": "u"}
    assert by_tool["t2"]["status"] == "success"


def test_a_frame_is_json_unless_json_cannot_carry_it() -> None:
    """Frames are JSON (orjson), marshal for what JSON refuses, JSON of ``str()`` for what
    neither carries; the writer reads each back (call rows come back as lists)."""
    row = (1.0, "s", "t", 2, "success", {"text": "x"}, None, None, None, None, None, "u", "mcp")
    cases = [
        ([row], activity_writer.JSON, [list(row)]),
        ([{"n": 2**70}], activity_writer.MARSHAL, [{"n": 2**70}]),
        ([{1: "int key"}], activity_writer.MARSHAL, [{1: "int key"}]),
        ([{"odd": Path("/x")}], activity_writer.JSON, [{"odd": "/x"}]),
        (
            [{"n": 2**70, "w": Waiting(b'{"a":1}')}],
            activity_writer.JSON,
            [{"n": 2**70, "w": {"a": 1}}],
        ),
    ]
    for items, kind, expected in cases:
        frame = packed(items)
        payload = frame[activity_writer.FRAME.size :]
        assert activity_writer.FRAME.unpack(frame[: activity_writer.FRAME.size]) == (len(payload),)
        assert payload[:1] == kind and activity_writer.unpacked(payload) == expected


async def test_records_of_schema_2_are_moved_to_their_columns(tmp_path: Path) -> None:
    """Migration 3 makes each old row's ``doc`` into columns: the records read the same."""
    path = tmp_path / "old.db"
    db = sqlite3.connect(path)
    for script in MIGRATIONS[:2]:
        db.executescript(script)
    db.execute("PRAGMA user_version = 2")
    old = [
        {**record(1), "group": "ops", "keyId": "k", "keyName": "ci", "extra1": [1]},
        {**record(2), "errorMessage": "boom", "principal": "key:ci"},
    ]
    for rec in old:
        db.execute(
            "INSERT INTO activities (timestamp, server, tool, status, doc) VALUES (?,?,?,?,?)",
            (rec["timestamp"], rec["server"], rec["tool"], rec["status"], json.dumps(rec)),
        )
    db.commit()
    db.close()
    store = make_store(f"sqlite:{path}", tmp_path)
    await store.open()
    try:
        log = activity_log(store)
        assert log is not None
        rows, total = await log.query_activities(ActivityQuery(), limit=10, offset=0)
        assert total == 2
        got = sorted(({k: v for k, v in r.items() if k != "id"} for r in rows), key=str)
        assert got == sorted(({**dict.fromkeys(activity_rows.FIELDS), **r} for r in old), key=str)
        assert [r["id"] for r in rows] == ["2", "1"]  # ids kept
        assert await log.query_activities(ActivityQuery(group="ops"), limit=5, offset=0) != ([], 0)
        await log.add_activities([record(3)])  # and the next id follows them
        newest, _ = await log.query_activities(ActivityQuery(tool="t3"), limit=1, offset=0)
        assert newest[0]["id"] == "3"
    finally:
        await store.close()


async def test_the_writer_process_commits_before_it_answers_and_comes_back(
    log: ActivityLog,
) -> None:
    """A batch is readable once ``add_activities`` returns. A writer that dies with a batch
    in flight fails that batch; a writer that died between batches is replaced, and the
    next batch starts a new one either way."""
    writer = log.writer  # type: ignore[attr-defined]
    await log.add_activities([record(i) for i in range(3)])
    assert (await log.list_activities(limit=10))[1] == 3
    first = writer.pid
    assert first is not None and writer.started == 1
    os.kill(first, signal.SIGSTOP)  # it reads nothing more and answers nothing
    in_flight = asyncio.create_task(log.add_activities([record(3)]))
    await wait_for(lambda: writer._lock.locked())  # sent, and awaiting its answer
    os.kill(first, signal.SIGKILL)
    with pytest.raises(StoreError, match="exited"):
        await in_flight
    await log.add_activities([record(4), record(5)])
    second = writer.pid
    assert writer.started == 2 and second not in (None, first)
    os.kill(second, signal.SIGKILL)  # between batches: once reaped, the next batch sees it
    await writer._proc.wait()
    await log.add_activities([record(6)])
    assert writer.started == 3
    rows, total = await log.list_activities(limit=10)
    assert total == 6 and {r["tool"] for r in rows} == {"t0", "t1", "t2", "t4", "t5", "t6"}


async def test_the_writer_outlives_a_terminals_interrupt(log: ActivityLog) -> None:
    """Ctrl-C reaches every process of the hub: the writer ignores it (and SIGTERM) and goes
    on until the hub closes its pipe, so a stopping hub's last batch is still written."""
    writer = log.writer  # type: ignore[attr-defined]
    await log.add_activities([record(0)])
    for sig in (signal.SIGINT, signal.SIGTERM):
        os.kill(writer.pid, sig)
    await log.add_activities([record(1)])
    assert writer.started == 1
    proc = writer._proc
    await writer.close()
    assert proc.returncode == 0
    assert (await log.list_activities(limit=10))[1] == 2


async def test_a_refused_batch_is_an_error_and_the_writer_goes_on(log: ActivityLog) -> None:
    """A batch SQLite refuses (here a record without a timestamp column value: NOT NULL) is
    answered as an error naming the cause; the same writer takes the next batch."""
    writer = log.writer  # type: ignore[attr-defined]
    with pytest.raises(StoreError, match="IntegrityError"):
        await log.add_activities([{**record(0), "timestamp": None}])
    await log.add_activities([record(1), {**record(2), "odd": object()}])  # str() by JSON
    assert writer.started == 1
    rows, total = await log.list_activities(limit=10)
    assert total == 2 and rows[0]["odd"].startswith("<object object")


async def test_records_are_made_a_batch_at_a_time_and_few_wait_unmade(log: ActivityLog) -> None:
    """A call only queues what it has; ``build`` makes the records when the writer takes
    them, or as soon as a whole batch waits unmade (so few results are held). A record that
    cannot be made is counted as failed, and the rest are written."""

    def build(i: int) -> dict[str, Any]:
        if i == 3:
            raise ValueError("no record for 3")
        return record(i)

    rec = Recorder(log, batch=10, gather=60.0, build=build)
    for i in range(9):
        rec.offer(i)
    assert len(rec.unbuilt) == 9 and not rec.pending and rec.queued == 9
    rec.offer(9)  # a whole batch: made now, one pack
    assert not rec.unbuilt and len(rec.pending) == 1 and rec.failed == 1
    assert rec.pending_records == rec.queued == 9
    rec.offer(10)
    await rec.close()
    assert rec.written == 10 and rec.queued == 0
    rows, total = await log.list_activities(limit=20)
    assert total == 10 and "t3" not in {r["tool"] for r in rows}


async def test_calls_are_made_into_records_a_few_at_a_time(log: ActivityLog) -> None:
    """Below a whole batch, records are still made every ``build_every`` calls: a call's
    objects are not kept until the writer's next batch."""
    rec = Recorder(log, batch=100, gather=60.0, build=record, build_every=4)
    for i in range(9):
        rec.offer(i)
    assert rec.pending_records == 8 and rec.unbuilt == [8]
    assert [[r["tool"] for r in pack] for pack in rec.pending] == [
        [f"t{i}" for i in range(4)],
        [f"t{i}" for i in range(4, 8)],
    ]
    await rec.close()
    assert rec.written == 9


async def test_a_write_takes_whole_packs_up_to_a_batch(log: ActivityLog) -> None:
    """Packs are written whole, as many as fit in ``batch`` records (a first one always)."""
    counting = CountingLog(log)
    rec = Recorder(counting, batch=10, gather=60.0, build_every=4)  # type: ignore[arg-type]
    for i in range(13):  # packs of 4, 4, 4, then one unbuilt
        rec.offer(record(i))
    await rec.close()
    assert counting.batches == [8, 5] and rec.written == 13 and rec.queued == 0


async def test_the_activity_plugin_packs_call_rows_for_the_sqlite_store(log: ActivityLog) -> None:
    """With a store that takes call rows, a build's rows wait as one ``PackedRows`` (bytes:
    the call's own objects are freed), and the store's writer makes their records."""
    pack, write = rows_writer(log)
    rec = Recorder(log, build=tuple, pack=pack, write=write, build_every=3, gather=60.0)
    arguments, result = {"text": "hi"}, {"content": [{"type": "text", "text": "hi"}]}
    row = [1.0, "s", "t", 3, "success", arguments, result, None, None, None, None, "u", "mcp"]
    for i in range(4):
        rec.offer([*row[:2], f"t{i}", *row[3:]])
    assert [type(p) for p in rec.pending] == [PackedRows] and rec.queued == 4
    await rec.close()
    got, total = await log.list_activities(limit=10)
    assert total == 4 == rec.written
    assert {r["tool"] for r in got} == {"t0", "t1", "t2", "t3"}
    assert got[0]["input"] == input_text(arguments) and got[0]["output"] == output_text(result)


async def test_a_full_queue_drops_and_counts_what_does_not_fit(log: ActivityLog) -> None:
    """Past ``capacity`` queued records, new ones are dropped and counted (a call never
    waits for the writer); the records kept are the oldest, and they are all written."""
    rec = Recorder(log, capacity=10, batch=100, gather=60.0, build_every=4)
    for i in range(25):
        rec.offer(record(i))
    assert rec.dropped == 14 and rec.pending_records == 10 and rec.queued == 11
    await rec.close()
    assert (rec.accepted, rec.dropped, rec.written) == (10, 15, 10)
    rows, total = await log.list_activities(limit=50)
    assert total == 10 and {r["tool"] for r in rows} == {f"t{i}" for i in range(10)}


# -- the writer's CPU priority (``mcphub_sqlite.priority``) --------------------------


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
