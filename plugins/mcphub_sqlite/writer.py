"""The hub's end of the activity writer process (``mcphub_sqlite.activity_writer``).

Started at the first batch, and again after it exits; one batch is in flight at a time,
answered in order. Its CPU priority follows ``mcphub_sqlite.priority``. A batch is
acknowledged when the writer says it is committed; a writer that fails or exits fails the
batch in flight with a ``StoreError`` (the recorder counts its records as lost) and the next
batch starts a new one.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import marshal
import os
import sys
from pathlib import Path
from typing import Any

import orjson

import hub.activity_calls
from hub.activity_calls import PackedRows, json_default
from hub.plugin_api import StoreError, json_dumps
from mcphub_sqlite.activity_writer import FRAME, JSON, MARSHAL, PACKS
from mcphub_sqlite.priority import WriterPriority

log = logging.getLogger(__name__)

STOP_WAIT_S = 10.0
"""Seconds ``close`` lets the writer finish what it was sent before killing it."""


def packed(records: list[Any]) -> bytes:
    """One frame of ``records`` (records or call rows): JSON by orjson, twice as fast as
    ``marshal`` for these; ``marshal`` for what orjson refuses (an integer past 64 bits, a
    key that is not a string); JSON with ``str()`` of anything neither can carry (a plugin's
    own type in a record). NaN and infinities become null in JSON: no record field holds
    one, and an argument's summary keeps only its type."""
    try:
        payload = JSON + orjson.dumps(records)
    except TypeError:
        try:
            payload = MARSHAL + marshal.dumps(records)
        except ValueError:
            payload = JSON + json_dumps(records, default=json_default)
    return _frame(payload)


def packed_rows(packs: list[PackedRows]) -> bytes:
    """One frame of the call rows of ``packs``: their JSON arrays as they are, a line each
    (compact JSON holds no raw newline), so the rows are not encoded again and the writer
    can take them a pack at a time."""
    return _frame(PACKS + b"\n".join(p.json for p in packs if p.count))


def _frame(payload: bytes) -> bytes:
    return FRAME.pack(len(payload)) + payload


class WriterProcess:
    """Sends batches of activity records to a writer process and awaits their commit."""

    def __init__(self, path: Path, priority: WriterPriority | None = None) -> None:
        self.path = path
        self.priority = priority or WriterPriority()
        self._settled: asyncio.subprocess.Process | None = None
        self._proc: asyncio.subprocess.Process | None = None
        self._lock = asyncio.Lock()
        self.started = 0
        """Writer processes started so far."""

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc is not None else None

    async def _start(self) -> asyncio.subprocess.Process:
        import mcphub_sqlite

        # The writer imports this package and ``hub.activity_calls`` from where the hub
        # found them.
        here = [str(Path(next(iter(mcphub_sqlite.__path__))).parent)]
        here.append(str(Path(hub.activity_calls.__file__).parent.parent))
        path = os.environ.get("PYTHONPATH")
        env = {**os.environ, "PYTHONPATH": os.pathsep.join([*here, *([path] if path else [])])}
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "mcphub_sqlite.activity_writer",
            str(self.path),
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            env=env,
        )
        self.started += 1
        return proc

    async def append(self, records: list[Any]) -> None:
        """Write ``records`` (records or call rows) in one transaction; returns once they
        are committed."""
        await self.send(packed(records))

    async def send(self, frame: bytes) -> None:
        """Send one frame (``packed``, ``packed_rows``) and wait for its commit."""
        async with self._lock:
            proc = self._proc
            if proc is None or proc.returncode is not None:
                proc = self._proc = await self._start()
            assert proc.stdin is not None and proc.stdout is not None
            self.priority.before_batch()
            try:
                proc.stdin.write(frame)
                await proc.stdin.drain()
                answer = await self.priority.answer(proc.stdout.readline())
            except ConnectionError as exc:  # BrokenPipeError included
                await self._forget(proc)
                raise StoreError(f"the activity writer stopped: {exc}") from None
            if answer == b"ok\n":
                if self._settled is not proc:  # it has started: its priority can be set
                    self._settled = proc
                    self.priority.settle(proc.pid)
                return
            if not answer:
                await self._forget(proc)
                raise StoreError("the activity writer exited")
            raise StoreError(answer.decode(errors="replace").removeprefix("error ").strip())

    async def _forget(self, proc: asyncio.subprocess.Process) -> None:
        """Drop a writer that stopped answering (killed if it still runs)."""
        if self._proc is proc:
            self._proc = None
        if proc.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                proc.kill()
        await proc.wait()

    async def close(self) -> None:
        """End the writer after what it was sent is written (killed after ``STOP_WAIT_S``)."""
        async with self._lock:
            proc, self._proc = self._proc, None
            if proc is None:
                return
            assert proc.stdin is not None
            proc.stdin.close()
            try:
                await asyncio.wait_for(proc.wait(), STOP_WAIT_S)
            except TimeoutError:
                log.warning("The activity writer did not stop in %.0f s; killed", STOP_WAIT_S)
                await self._forget(proc)
