"""Fake catalog services on 127.0.0.1 (a market ``servers.json``, a v0.1 registry, an
MCPRouter API), real HTTP servers in the test's event loop that record what they were
asked, and helpers to drive the hub's catalog routes."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import tornado.httpserver
import tornado.netutil
import tornado.web

from hub.testing import HubClient

Answer = tuple[int, Any]
Route = Callable[["Seen"], Answer]


@dataclass
class Seen:
    """One request the fake received."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: Any


@dataclass
class FakeService:
    """A real HTTP server whose answers the test sets per path (``routes``)."""

    routes: dict[str, Route] = field(default_factory=dict)
    seen: list[Seen] = field(default_factory=list)
    port: int = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def requests_to(self, path: str) -> list[Seen]:
        return [s for s in self.seen if s.path == path]


class FakeHandler(tornado.web.RequestHandler):
    def initialize(self, fake: FakeService) -> None:
        self.fake = fake

    def check_xsrf_cookie(self) -> None:
        pass

    async def _answer(self) -> None:
        request = self.request
        raw_path = request.path
        body: Any = None
        if request.body:
            try:
                body = json.loads(request.body)
            except ValueError:
                body = request.body
        seen = Seen(
            request.method or "GET",
            raw_path,
            {k: self.get_query_argument(k) for k in request.query_arguments},
            dict(request.headers),
            body,
        )
        self.fake.seen.append(seen)
        route = self.fake.routes.get(raw_path) or self.fake.routes.get("*")
        if route is None:
            self.set_status(404)
            self.finish({"title": "Not Found", "status": 404, "detail": "no such path"})
            return
        status, answer = route(seen)
        self.set_status(status)
        if isinstance(answer, bytes | str):
            self.finish(answer)
        else:
            self.set_header("Content-Type", "application/json")
            self.finish(json.dumps(answer))

    async def get(self) -> None:
        await self._answer()

    async def post(self) -> None:
        await self._answer()


async def set_system(api: HubClient, patch: dict[str, Any]) -> None:
    r = await api.put("/api/system-config", json=patch)
    assert r.status_code == 200, r.text


def data(r: Any, status: int = 200) -> Any:
    """The ``data`` of a successful envelope (asserting the status)."""
    assert r.status_code == status, r.text
    body = r.json()
    assert body["success"] is True, body
    return body.get("data")


def failure(r: Any, status: int) -> str:
    """The message of a failed envelope (asserting the status)."""
    assert r.status_code == status, r.text
    body = r.json()
    assert body["success"] is False, body
    return str(body["message"])


@asynccontextmanager
async def serving() -> AsyncIterator[FakeService]:
    """A ``FakeService`` listening on 127.0.0.1 (a free port) until the block exits: the
    catalogs' ``fake_service`` and the dashboard's fake market both serve through it."""
    service = FakeService()
    app = tornado.web.Application([(r"/.*", FakeHandler, {"fake": service})])
    sockets = tornado.netutil.bind_sockets(0, "127.0.0.1")
    server = tornado.httpserver.HTTPServer(app)
    server.add_sockets(sockets)
    service.port = sockets[0].getsockname()[1]
    try:
        yield service
    finally:
        server.stop()
        await server.close_all_connections()
