"""The listening side: asyncio servers on the hub's sockets, the open connections, the idle
sweep and the stop."""

from __future__ import annotations

import asyncio
import socket

import tornado.httputil

from hub.http.protocol import ServerProtocol

SWEEP_INTERVAL = 5.0
"""Seconds between looks for idle connections (one timer for all, not one per request)."""


class HttpServer:
    """Serves ``router`` (Tornado's ``HTTPServerConnectionDelegate``: an ``Application`` or
    a ``Router``) on listening sockets."""

    def __init__(
        self,
        router: tornado.httputil.HTTPServerConnectionDelegate,
        *,
        max_body_size: int,
        xheaders: bool = False,
        idle_timeout: float = 75.0,
        max_header_size: int = 64 * 1024,
    ) -> None:
        self.router = router
        self.max_body_size = max_body_size
        self.xheaders = xheaders
        """Client address and scheme from ``X-Forwarded-For``/``X-Real-Ip`` and
        ``X-Forwarded-Proto``/``X-Scheme`` (only behind a proxy that sets them)."""
        self.idle_timeout = idle_timeout
        """Seconds a connection may wait without a complete request head."""
        self.max_header_size = max_header_size
        self.connections: set[ServerProtocol] = set()
        self._servers: list[asyncio.Server] = []
        self._sweeper: asyncio.TimerHandle | None = None
        self._all_gone: asyncio.Event | None = None

    async def add_sockets(self, sockets: list[socket.socket]) -> None:
        loop = asyncio.get_running_loop()
        for sock in sockets:
            server = await loop.create_server(lambda: ServerProtocol(self), sock=sock)
            self._servers.append(server)
        if self._sweeper is None:
            self._sweeper = loop.call_later(self._sweep_interval(), self._sweep)

    def _sweep_interval(self) -> float:
        return min(SWEEP_INTERVAL, self.idle_timeout / 2)

    def _sweep(self) -> None:
        loop = asyncio.get_running_loop()
        limit = loop.time() - self.idle_timeout
        for connection in list(self.connections):
            if connection.idle_since is not None and connection.idle_since < limit:
                connection.shut()
        self._sweeper = loop.call_later(self._sweep_interval(), self._sweep)

    def stop(self) -> None:
        """Stop accepting connections (open ones keep being served)."""
        for server in self._servers:
            server.close()
        self._servers = []
        if self._sweeper is not None:
            self._sweeper.cancel()
            self._sweeper = None

    def connection_gone(self) -> None:
        if not self.connections and self._all_gone is not None:
            self._all_gone.set()

    async def close_all_connections(self) -> None:
        """Close every open connection (pending responses end) and wait until they are."""
        if not self.connections:
            return
        self._all_gone = asyncio.Event()
        for connection in list(self.connections):
            connection.shut()
        await self._all_gone.wait()
