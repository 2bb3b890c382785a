"""The ``activities`` table's rows: a column per record field, and no second copy of the record.

Until schema 3 each row also kept the whole record as JSON (``doc``), which doubled what a
row holds and cost the writer a JSON encoding per record; reads now make the record from
the columns. A value a column cannot hold as it is (a list, an object, a boolean, an
integer past 64 bits) and a field without a column go to ``extra`` (JSON, NULL when
empty), which is laid over the columns when the record is read.

Imported by the hub's side (``mcphub_sqlite.activities``) and by the writer process, so it
imports only the standard library, ``orjson`` and ``hub.activity_calls`` (which loads
nothing else of the hub).
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from typing import Any

import orjson

from hub.activity_calls import CALL_FIELDS, summarized

FIELDS = CALL_FIELDS
"""The record fields every read answers (``hub.plugin_api.ActivityLog``), in order: a call
row's (``hub.activity_calls``)."""
RENAMED = {
    "group": "grp",
    "keyId": "key_id",
    "keyName": "key_name",
    "user": "usr",
    "errorMessage": "error_message",
}
"""Fields whose column has another name (the names of schema 2's filter columns)."""
COLUMNS = (*(RENAMED.get(field, field) for field in FIELDS), "principal", "extra")
"""The table's columns after ``id``: one per field of ``FIELDS``, then ``principal`` (a
field of older records, answered only when set) and ``extra``."""
KEPT = frozenset((*FIELDS, "principal"))
"""Fields with a column of their own."""
PLAIN = frozenset((str, int, float, type(None)))
"""Types a column keeps as they are (an integer only within 64 bits)."""
WIDEST = 2**63 - 1


def _plain(value: Any) -> bool:
    kind = type(value)
    return kind in PLAIN and (kind is not int or -WIDEST - 1 <= value <= WIDEST)


def _json(value: dict[str, Any]) -> str:
    try:
        return orjson.dumps(value).decode()
    except TypeError:  # what orjson refuses (integers past 64 bits) the standard library takes
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False, default=str)


def row_values(record: dict[str, Any], strict: bool = False) -> list[Any]:
    """The values of ``COLUMNS`` for ``record``. A record without ``timestamp`` gets now.
    Integers are checked against 64 bits only when ``strict`` (SQLite refuses the statement
    otherwise, and the writer makes that batch's rows again this way)."""
    values = [record.get(field) for field in FIELDS]
    values.append(record.get("principal"))
    if "timestamp" not in record:
        values[0] = time.time()
    extra: dict[str, Any] | None = None
    if not KEPT.issuperset(record):
        extra = {key: value for key, value in record.items() if key not in KEPT}
    return _with_extra(values, extra, strict)


def call_values(row: Sequence[Any], strict: bool = False) -> list[Any]:
    """The values of ``COLUMNS`` for a call row: its record's, summaries made here."""
    values = summarized(row)
    values.append(None)  # principal: a field of older records only
    return _with_extra(values, None, strict)


def _with_extra(values: list[Any], extra: dict[str, Any] | None, strict: bool) -> list[Any]:
    """``values`` (one per kept field) with what no column holds as it is moved to
    ``extra``, then ``extra`` appended."""
    if strict or not PLAIN.issuperset(map(type, values)):
        for index, field in enumerate((*FIELDS, "principal")):
            if not _plain(values[index]):
                extra = extra or {}
                extra[field] = values[index]
                values[index] = None
    values.append(None if not extra else _json(extra))
    return values


def record_of(values: Sequence[Any]) -> dict[str, Any]:
    """The record of a row's ``COLUMNS`` values (``id`` not included)."""
    record = dict(zip(FIELDS, values, strict=False))
    principal, extra = values[-2], values[-1]
    if principal is not None:
        record["principal"] = principal
    if extra is not None:
        record.update(json.loads(extra))
    return record
