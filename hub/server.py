"""A Hub behind a Tornado HTTP server: what ``mcphub serve`` and the test kit run."""

from __future__ import annotations

import logging
import socket

import tornado.httpserver
import tornado.netutil

from hub.app import Hub, HubOptions, make_app

log = logging.getLogger(__name__)

MAX_BODY = 64 * 1024 * 1024
"""Tornado's own ceiling; the per-route limit (``routing.jsonBodyLimit``) is checked later."""


class HubServer:
    """Starts the hub, then listens; stops listening, then stops the hub."""

    def __init__(self, options: HubOptions, hub: Hub | None = None) -> None:
        self.hub = hub or Hub(options)
        self.http: tornado.httpserver.HTTPServer | None = None
        self.sockets: list[socket.socket] = []

    @property
    def address(self) -> str:
        host, port = self.sockets[0].getsockname()[:2]
        return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"

    @property
    def port(self) -> int:
        return int(self.sockets[0].getsockname()[1])

    async def start(self) -> None:
        opts = self.hub.options
        try:
            await self.hub.start()
        except BaseException:
            await self.hub.stop()  # close what was opened, so the process can exit
            raise
        self.sockets = tornado.netutil.bind_sockets(opts.port, opts.host)
        self.http = tornado.httpserver.HTTPServer(
            make_app(self.hub),
            max_body_size=MAX_BODY,
            xheaders=False,
            idle_connection_timeout=75,
        )
        self.http.add_sockets(self.sockets)

    async def stop(self) -> None:
        if self.http is not None:
            self.http.stop()
            await self.http.close_all_connections()
            self.http = None
        await self.hub.stop()
