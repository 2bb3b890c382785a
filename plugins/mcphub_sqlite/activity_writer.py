"""The activity writer: a small program that appends activity records to the SQLite file.

The hub runs it as its own process (``python -m mcphub_sqlite.activity_writer PATH
COLUMNS``) and sends it batches of records; it answers each batch once it is committed.
Inserting a batch in the hub's process cost the hub's event loop about as much as the
whole rest of a call's observation, even from a thread: binding thousands of values holds
the interpreter lock, and every hand-over of that lock between the writer thread and the
event loop is paid by the loop. Out here the loop pays only for packing the batch.

It imports only the standard library and ``orjson``, so it starts in tens of milliseconds.

The pipe carries frames: a 4-byte little-endian length, then ``marshal`` data (a list of
record dicts; both ends are the same interpreter). Each frame is answered with one line:
``ok`` once its rows are committed, or ``error <message>``. End of input (the hub closed
the pipe, or died) ends the program after the frames already read are written.
"""

from __future__ import annotations

import functools
import json
import marshal
import os
import signal
import sqlite3
import struct
import sys
import time
from collections.abc import Sequence
from typing import Any, BinaryIO

import orjson

FRAME = struct.Struct("<I")
"""A frame's length prefix."""
ROWS_PER_INSERT = 500
"""Rows one INSERT statement carries. ``executemany`` steps once per row; one multi-row
statement steps once, and in autocommit it is one transaction. 500 rows x 11 values stays
under SQLite's 32,766 variables."""
TABLE = "activities"
NICENESS = 10
"""How much lower than the hub the writer's CPU priority is. Its work can wait: while the
host has CPU to spare it makes no difference, and when the host is saturated the hub and
its upstreams go first and the writer's batches simply grow (a larger batch costs less
per record). Every record still gets written; the queue in the hub is what bounds the
delay."""


@functools.lru_cache(maxsize=64)
def insert_sql(columns: tuple[str, ...], count: int) -> str:
    """The INSERT of ``count`` rows into ``columns`` (the common batch sizes stay cached)."""
    row = f"({', '.join('?' * len(columns))})"
    return f"INSERT INTO {TABLE} ({', '.join(columns)}) VALUES {', '.join([row] * count)}"


def row_values(record: dict[str, Any], fields: Sequence[str]) -> list[Any]:
    """The values of the columns named by ``fields`` (record keys), then ``doc``: the whole
    record as JSON. The same row as ``hub.plugin_api.activity_row`` for SQLite, which keeps
    values as given (``tests/plugins/test_activity_writer.py`` holds them equal)."""
    values = [record.get(field) for field in fields]
    if "timestamp" not in record:
        values[0] = time.time()
    try:
        doc = orjson.dumps(record).decode()
    except TypeError:  # what orjson refuses (integers past 64 bits) the standard library takes
        doc = json.dumps(record, separators=(",", ":"), ensure_ascii=False, default=str)
    values.append(doc)
    return values


def write(
    db: sqlite3.Connection, records: list[dict[str, Any]], columns: Sequence[tuple[str, str]]
) -> None:
    """Append ``records`` atomically: one statement in autocommit when they fit in one,
    else statements of ``ROWS_PER_INSERT`` rows inside one transaction."""
    names = (*(column for column, _ in columns), "doc")
    fields = [field for _, field in columns]
    rows = [row_values(record, fields) for record in records]
    if len(rows) <= ROWS_PER_INSERT:
        db.execute(insert_sql(names, len(rows)), [v for row in rows for v in row])
        return
    db.execute("BEGIN IMMEDIATE")
    try:
        for start in range(0, len(rows), ROWS_PER_INSERT):
            chunk = rows[start : start + ROWS_PER_INSERT]
            db.execute(insert_sql(names, len(chunk)), [v for row in chunk for v in row])
    except BaseException:
        db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")


def connect(path: str) -> sqlite3.Connection:
    """The writer's connection: autocommit, and the store's durability (a commit survives
    a kill of either process) and patience with the hub's own writes."""
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA busy_timeout=5000")
    db.execute("PRAGMA synchronous=FULL")
    return db


def read_frame(stream: BinaryIO) -> bytes | None:
    """The next frame's payload; None at end of input (a cut-off frame included)."""
    head = stream.read(FRAME.size)
    if len(head) < FRAME.size:
        return None
    (length,) = FRAME.unpack(head)
    payload = stream.read(length)
    return payload if len(payload) == length else None


def serve(
    db: sqlite3.Connection, columns: Sequence[tuple[str, str]], ins: BinaryIO, outs: BinaryIO
) -> None:
    """Write each frame's records and answer it, until end of input."""
    while (payload := read_frame(ins)) is not None:
        try:
            write(db, marshal.loads(payload), columns)
        except Exception as exc:  # noqa: BLE001 - the hub counts the batch as failed
            message = f"{type(exc).__name__}: {exc}".replace("\n", " ")
            outs.write(f"error {message}\n".encode())
        else:
            outs.write(b"ok\n")
        outs.flush()


def main(argv: list[str]) -> int:
    path, columns = argv[0], [tuple(pair) for pair in json.loads(argv[1])]
    os.nice(NICENESS)
    # Ctrl-C in a terminal (and a service manager stopping the group) signals every process
    # of the hub: the writer ends when the hub closes the pipe, after the batches it was
    # sent, rather than dropping the batch of a stopping hub's last flush.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    db = connect(path)
    try:
        serve(db, columns, sys.stdin.buffer, sys.stdout.buffer)
    finally:
        db.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
