"""The activity writer: a small program that appends activity records to the SQLite file.

The hub runs it as its own process (``python -m mcphub_sqlite.activity_writer PATH``) and
sends it batches of records; it answers each batch once it is committed. Inserting a batch
in the hub's process cost the hub's event loop about as much as the whole rest of a call's
observation, even from a thread: binding thousands of values holds the interpreter lock, and
every hand-over of that lock between the writer thread and the event loop is paid by the
loop. Out here the loop pays only for packing the batch.

It imports only the standard library, ``orjson`` and its row layout
(``mcphub_sqlite.activity_rows``, which brings ``hub.activity_calls`` and nothing else of
the hub), so it starts in tens of milliseconds.

The pipe carries frames: a 4-byte little-endian length, then the payload: a list of record
dicts or call rows (``hub.activity_calls``), as JSON after a ``J`` or as ``marshal`` data
after an ``M`` (both ends are the same interpreter), or after a ``P`` the hub's packs of
call rows as they are, each a JSON array on a line of its own. Making the records of call
rows here (their summaries) spares the hub's event loop. A frame of packs is read, made
into records and inserted a pack at a time: the writer then touches a few dozen rows'
objects at once rather than a whole frame's, and under load, with the hub's event loop on
the other core, that cut the writer's CPU per record by about a third and what it cost
the hub's throughput by more (docs/performance.md). Each frame is answered with one line: ``ok``
once its rows are committed, or ``error <message>``. End of input (the hub closed the pipe,
or died) ends the program after the frames already read are written.
"""

from __future__ import annotations

import functools
import itertools
import marshal
import operator
import os
import signal
import sqlite3
import struct
import sys
from collections.abc import Callable, Iterable, Iterator
from typing import Any, BinaryIO

import orjson

from mcphub_sqlite.activity_rows import COLUMNS, call_values, row_values

FRAME = struct.Struct("<I")
"""A frame's length prefix."""
JSON, MARSHAL, PACKS = b"J", b"M", b"P"
"""The first byte of a payload: how the rest is encoded."""
ROWS_PER_INSERT = 500
"""Rows one INSERT statement carries. ``executemany`` steps once per row; one multi-row
statement steps once, and in autocommit it is one transaction. 500 rows x 15 values stays
under SQLite's 32,766 variables."""
TABLE = "activities"
NICENESS = 10
"""How much lower than the hub the writer's CPU priority is. Its work can wait: while the
host has CPU to spare it makes no difference, and when the host is saturated the hub and
its upstreams go first and the writer's batches simply grow (a larger batch costs less
per record). Every record still gets written; the queue in the hub is what bounds the
delay. Where it may, the hub also makes it idle (``mcphub_sqlite.priority``)."""


OFTEN_NULL = frozenset(("grp", "key_id", "key_name", "error_message", "principal", "extra"))
"""Columns most calls leave empty (no group route, no key, no error). An INSERT names only
those some row of it fills: binding these six NULLs for every row cost about a quarter of
the writer's insert."""
_OPTIONAL = tuple(index for index, column in enumerate(COLUMNS) if column in OFTEN_NULL)


@functools.lru_cache(maxsize=256)
def insert_sql(count: int, columns: tuple[int, ...]) -> str:
    """The INSERT of ``count`` rows of the ``COLUMNS`` at ``columns`` (the rest are NULL);
    the common batch sizes and column sets stay cached."""
    row = f"({', '.join('?' * len(columns))})"
    names = ", ".join(COLUMNS[index] for index in columns)
    return f"INSERT INTO {TABLE} ({names}) VALUES {', '.join([row] * count)}"


@functools.lru_cache(maxsize=64)
def _filled(empty: tuple[int, ...]) -> tuple[tuple[int, ...], Callable[[list[Any]], Any]]:
    """The indexes of ``COLUMNS`` less ``empty``, and what picks their values from a row."""
    columns = tuple(index for index in range(len(COLUMNS)) if index not in empty)
    return columns, operator.itemgetter(*columns)


def write(db: sqlite3.Connection, items: list[Any]) -> None:
    """Append the records of ``items`` (records, or call rows whose records are made here)
    atomically: one statement in autocommit when they fit in one, else statements of
    ``ROWS_PER_INSERT`` rows inside one transaction."""
    write_parts(db, lambda: (items,))


def write_payload(db: sqlite3.Connection, payload: bytes) -> None:
    """Append the records of a frame's payload atomically, as ``write`` does; a frame of
    packs is parsed a pack at a time, just before its rows are inserted."""
    if payload[:1] != PACKS:
        items = unpacked(payload)
        write_parts(db, lambda: (items,))
        return
    lines = _pack_lines(payload)
    write_parts(db, lambda: map(orjson.loads, lines))


def _pack_lines(payload: bytes) -> list[bytes]:
    """The JSON arrays of a frame of packs, one per pack."""
    return [line for line in payload[1:].split(b"\n") if line]


def write_parts(db: sqlite3.Connection, parts: Callable[[], Iterable[list[Any]]]) -> None:
    """Append the records of each list ``parts()`` gives, in order, atomically. An integer
    past 64 bits makes SQLite refuse the statement: the whole write is then made again
    with such values moved to ``extra`` (``parts`` is called again for it)."""
    try:
        _insert(db, _chunks(parts()), strict=False)
    except OverflowError:
        _insert(db, _chunks(parts()), strict=True)


def _chunks(parts: Iterable[list[Any]]) -> Iterator[list[Any]]:
    """The non-empty lists of ``parts``, those over ``ROWS_PER_INSERT`` cut to size."""
    for part in parts:
        if not part:
            continue
        if len(part) <= ROWS_PER_INSERT:
            yield part
        else:
            for start in range(0, len(part), ROWS_PER_INSERT):
                yield part[start : start + ROWS_PER_INSERT]


def _values(item: Any, strict: bool = False) -> list[Any]:
    return row_values(item, strict) if type(item) is dict else call_values(item, strict)


def _execute(db: sqlite3.Connection, items: list[Any], strict: bool) -> None:
    """One INSERT of the records of ``items`` (at most ``ROWS_PER_INSERT``)."""
    rows = [_values(item, strict) for item in items]
    by_column = list(zip(*rows, strict=True))
    count = len(rows)
    empty = tuple(index for index in _OPTIONAL if by_column[index].count(None) == count)
    columns, pick = _filled(empty)
    db.execute(insert_sql(count, columns), [v for row in rows for v in pick(row)])


def _insert(db: sqlite3.Connection, chunks: Iterator[list[Any]], strict: bool) -> None:
    """One INSERT per chunk: alone in autocommit when there is one chunk, else all inside
    BEGIN ... COMMIT."""
    first = next(chunks, None)
    if first is None:
        return
    second = next(chunks, None)
    if second is None:
        _execute(db, first, strict)
        return
    db.execute("BEGIN IMMEDIATE")
    try:
        _execute(db, first, strict)
        for chunk in itertools.chain((second,), chunks):
            _execute(db, chunk, strict)
    except BaseException:
        db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")


def connect(path: str) -> sqlite3.Connection:
    """The writer's connection: autocommit, and patience with the hub's own writes.

    ``synchronous=NORMAL``: in WAL mode a commit is then in the operating system's hands
    before the writer answers, and survives a kill of the hub or of the writer; only a
    crash of the machine itself can lose the last commits before a checkpoint. The store's
    configuration writes keep ``FULL``; an activity record is not worth an ``fsync`` per
    batch."""
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA busy_timeout=5000")
    db.execute("PRAGMA synchronous=NORMAL")
    return db


def read_frame(stream: BinaryIO) -> bytes | None:
    """The next frame's payload; None at end of input (a cut-off frame included)."""
    head = stream.read(FRAME.size)
    if len(head) < FRAME.size:
        return None
    (length,) = FRAME.unpack(head)
    payload = stream.read(length)
    return payload if len(payload) == length else None


def unpacked(payload: bytes) -> list[Any]:
    """The records or call rows of a frame's payload (a frame of packs: all of them)."""
    if payload[:1] == PACKS:
        return [row for line in _pack_lines(payload) for row in orjson.loads(line)]
    data = memoryview(payload)[1:]
    items: list[Any] = marshal.loads(data) if payload[:1] == MARSHAL else orjson.loads(data)
    return items


def serve(db: sqlite3.Connection, ins: BinaryIO, outs: BinaryIO) -> None:
    """Write each frame's records and answer it, until end of input."""
    while (payload := read_frame(ins)) is not None:
        try:
            write_payload(db, payload)
        except Exception as exc:  # noqa: BLE001 - the hub counts the batch as failed
            message = f"{type(exc).__name__}: {exc}".replace("\n", " ")
            outs.write(f"error {message}\n".encode())
        else:
            outs.write(b"ok\n")
        outs.flush()


def main(argv: list[str]) -> int:
    path = argv[0]
    os.nice(NICENESS)
    # Ctrl-C in a terminal (and a service manager stopping the group) signals every process
    # of the hub: the writer ends when the hub closes the pipe, after the batches it was
    # sent, rather than dropping the batch of a stopping hub's last flush.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    db = connect(path)
    try:
        serve(db, sys.stdin.buffer, sys.stdout.buffer)
    finally:
        db.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
