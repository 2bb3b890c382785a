"""The stdio transport's direct link: forwarded requests written as JSON lines, answers
matched by id in the stdout reader before any SDK object is built (``hub.plugin_api.DirectLink``).

Its request ids are strings (``hub-N``) the SDK session sharing the pipe never uses (it counts
integers), so the reader tells the two apart by id alone.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from hub.plugin_api import (
    LogSink,
    Progress,
    cancelled_notification,
    connection_closed,
    json_dumps,
    log_params,
    progress_of,
)

log = logging.getLogger(__name__)

DRAIN_ABOVE = 256 * 1024
"""Bytes queued for the child's stdin above which a sender waits for the pipe to drain."""


def encode(message: dict[str, Any]) -> bytes:
    return json_dumps(message) + b"\n"


class StdioLink:
    """Requests of one child process sent past the SDK session."""

    def __init__(self, stdin: asyncio.StreamWriter) -> None:
        self._stdin = stdin
        self._pending: dict[str, tuple[asyncio.Future[dict[str, Any]], Progress | None]] = {}
        self._progress_tasks: set[asyncio.Task[None]] = set()
        self._closed = False
        self._on_log: LogSink | None = None

    def start(self, protocol_version: str, on_log: LogSink) -> None:
        self._on_log = on_log

    async def send(self, message: dict[str, Any], on_progress: Progress | None) -> dict[str, Any]:
        if self._closed:
            raise connection_closed()
        rid = message["id"]
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._pending[rid] = (future, on_progress)
        try:
            self._write(encode(message))
            if self._stdin.transport.get_write_buffer_size() > DRAIN_ABOVE:
                await self._stdin.drain()
            return await future
        except asyncio.CancelledError:
            answered = future.done() and not future.cancelled()
            if not answered and not self._closed:
                self._write(encode(cancelled_notification(rid)))
            raise
        finally:
            self._pending.pop(rid, None)

    def _write(self, data: bytes) -> None:
        try:
            self._stdin.write(data)
        except (OSError, RuntimeError) as exc:
            raise connection_closed() from exc

    async def take(self, message: Any) -> bool:
        """Take ``message`` if it answers, or reports progress on, one of our requests, or is
        a log line while one is out (the reader awaits it, so it precedes the answer)."""
        if not self._pending or not isinstance(message, dict):
            return False
        params = log_params(message)
        if params is not None and self._on_log is not None:
            await self._on_log(params)
            return True
        rid = message.get("id")
        if rid is not None:
            if "method" in message or not isinstance(rid, str):
                return False
            entry = self._pending.get(rid)
            if entry is None:
                return False
            if not entry[0].done():
                entry[0].set_result(message)
            return True
        progress = progress_of(message)
        if progress is None or not isinstance(progress[0], str):
            return False
        entry = self._pending.get(progress[0])
        if entry is None:
            return False
        callback = entry[1]
        if callback is not None:
            task = asyncio.get_running_loop().create_task(callback(*progress[1:]))
            self._progress_tasks.add(task)
            task.add_done_callback(self._progress_tasks.discard)
        return True

    def close(self) -> None:
        """The pipe is gone: every waiting request fails with ``CONNECTION_CLOSED``."""
        self._closed = True
        for future, _ in self._pending.values():
            if not future.done():
                future.set_exception(connection_closed())
