"""``/api/logs``: read and clear the log ring buffer, or follow it live over SSE.

The stream sends an ``initial`` event holding the buffer, then one ``log`` event per entry
(the data keeps MCPHub's ``{type, logs|log}`` shape), and a comment line every
``HEARTBEAT_S`` so proxies keep the connection open. Each subscriber has a bounded queue: a
client that stops reading is disconnected instead of growing the hub's memory.
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
from typing import Any, Literal

from pydantic import BaseModel
from tornado.iostream import StreamClosedError

from hub import logs
from hub.api.api_spec import Message, Op
from hub.api.base import APIHandler
from hub.auth.principal import Policy

log = logging.getLogger(__name__)

HEARTBEAT_S = 15.0
QUEUE_MAX = 1000
FLUSH_TIMEOUT_S = 30.0


class LogEntry(BaseModel):
    timestamp: int
    type: str
    source: str
    message: str
    processId: str | None = None


class LogsReply(BaseModel):
    success: Literal[True]
    data: list[LogEntry]


class LogsHandler(APIHandler):
    """The buffer as a list, oldest first; DELETE empties it."""

    policy = Policy.ADMIN
    docs = {
        "GET": Op("Read the log buffer (newest 1000 entries)", response=LogsReply),
        "DELETE": Op("Clear the log buffer", response=Message),
    }

    async def get(self) -> None:
        self.reply(list(logs.buffer.entries))

    async def delete(self) -> None:
        logs.buffer.clear()
        log.info("Logs cleared by %s", self.caller.name)
        self.reply(message="Logs cleared successfully")


def _event(name: str, data: dict[str, Any]) -> str:
    return f"event: {name}\ndata: {json.dumps(data, separators=(',', ':'))}\n\n"


class LogStreamHandler(APIHandler):
    """Server-sent events; browsers pass the JWT as ``?token=``."""

    policy = Policy.ADMIN
    docs = {
        "GET": Op(
            "Follow the log buffer (SSE: an initial event, then log events)",
            media="text/event-stream",
        )
    }

    _closed: asyncio.Event | None = None
    _gone = False

    def on_connection_close(self) -> None:
        self._gone = True
        if self._closed is not None:
            self._closed.set()

    async def get(self) -> None:
        self.set_header("Content-Type", "text/event-stream; charset=UTF-8")
        self.set_header("Cache-Control", "no-cache, no-store")
        self.set_header("Connection", "keep-alive")
        self.set_header("X-Accel-Buffering", "no")
        loop = asyncio.get_running_loop()
        owner = threading.get_ident()
        queue: asyncio.Queue[dict[str, Any] | None] = asyncio.Queue(maxsize=QUEUE_MAX)
        self._closed = closed = asyncio.Event()

        def push(entry: dict[str, Any] | None) -> None:
            try:
                queue.put_nowait(entry)
            except asyncio.QueueFull:
                closed.set()  # too slow: let it reconnect and start from the buffer

        def listener(entry: dict[str, Any]) -> None:
            if threading.get_ident() == owner:
                push(entry)
            else:
                loop.call_soon_threadsafe(push, entry)

        unsubscribe = logs.buffer.subscribe(listener)
        try:
            await self._send(
                _event("initial", {"type": "initial", "logs": list(logs.buffer.entries)})
            )
            while not closed.is_set():
                waiter = asyncio.ensure_future(queue.get())
                stopper = asyncio.ensure_future(closed.wait())
                done, _ = await asyncio.wait(
                    {waiter, stopper}, timeout=HEARTBEAT_S, return_when=asyncio.FIRST_COMPLETED
                )
                stopper.cancel()
                if waiter not in done:
                    waiter.cancel()
                    if not closed.is_set():
                        await self._send(": heartbeat\n\n")
                    continue
                entry = waiter.result()
                if entry is not None:
                    await self._send(_event("log", {"type": "log", "log": entry}))
        except StreamClosedError:
            self._gone = True
        except TimeoutError:
            # The client stopped reading: drop the connection rather than buffer for it.
            self._gone = True
            self.request.connection.close()  # type: ignore[union-attr]
        finally:
            unsubscribe()
        if not self._gone:
            self.finish()

    async def _send(self, chunk: str) -> None:
        self.write(chunk)
        await asyncio.wait_for(self.flush(), FLUSH_TIMEOUT_S)


default_handlers = [
    (r"/api/logs", LogsHandler),
    (r"/api/logs/stream", LogStreamHandler),
]
