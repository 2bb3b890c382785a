"""The row helpers both table-keeping activity logs share (``hub.plugin_api``): a record's
column values, typed for PostgreSQL, the stored record read back, ids and the summary."""

from __future__ import annotations

import json
from decimal import Decimal

from hub.plugin_api import (
    ACTIVITY_COLUMNS,
    activity_id,
    activity_record,
    activity_row,
    activity_summary,
    insert_activity_sql,
)

RECORD = {"timestamp": 5, "server": 7, "tool": "t", "group": "g", "keyId": "k", "duration": "x"}


def test_a_row_fills_every_column_then_the_whole_record() -> None:
    row = activity_row(RECORD)
    assert len(row) == len(ACTIVITY_COLUMNS) + 1
    columns = dict(zip((c for c, _ in ACTIVITY_COLUMNS), row, strict=False))
    assert columns["server"] == 7 and columns["grp"] == "g" and columns["key_id"] == "k"
    assert columns["usr"] is None and columns["duration"] == "x"
    assert json.loads(row[-1]) == RECORD


def test_a_typed_row_gives_text_columns_text_and_drops_a_bad_duration() -> None:
    row = activity_row(RECORD, typed=True)
    assert row[0] == 5.0 and isinstance(row[0], float)
    assert row[1] == "7" and row[-2] is None
    assert activity_row({**RECORD, "duration": 12}, typed=True)[-2] == 12.0


def test_a_row_without_a_timestamp_gets_the_current_time() -> None:
    assert isinstance(activity_row({"server": "s"})[0], float)


def test_the_insert_names_every_column_and_doc() -> None:
    sql = insert_activity_sql("t", ["?"] * 11)
    assert sql.startswith("INSERT INTO t (timestamp, server, tool, status, principal, grp,")
    assert sql.endswith("duration, doc) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")


def test_ids_and_records() -> None:
    assert activity_id("42") == 42
    assert activity_id("²") is None and activity_id("-1") is None
    assert activity_id(str(2**63)) is None and activity_id(str(2**63 - 1)) == 2**63 - 1
    assert activity_record(3, '{"tool":"t","id":"old"}') == {"tool": "t", "id": "3"}


def test_the_summary_rounds_the_average_and_reads_nulls_as_zero() -> None:
    assert activity_summary(3, 2, 1, Decimal("10.6")) == {
        "totalCalls": 3,
        "successCount": 2,
        "errorCount": 1,
        "avgDuration": 11,
    }
    assert activity_summary(0, None, None, None)["avgDuration"] == 0
