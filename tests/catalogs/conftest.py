"""Fixtures of the catalog tests: a fake HTTP service on 127.0.0.1 (``tests.catalogs.fakes``)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import tornado.httpserver
import tornado.netutil
import tornado.web

from tests.catalogs.fakes import FakeHandler, FakeService


@pytest.fixture
async def fake_service() -> AsyncIterator[FakeService]:
    fake = FakeService()
    app = tornado.web.Application([(r"/.*", FakeHandler, {"fake": fake})])
    sockets = tornado.netutil.bind_sockets(0, "127.0.0.1")
    server = tornado.httpserver.HTTPServer(app)
    server.add_sockets(sockets)
    fake.port = sockets[0].getsockname()[1]
    yield fake
    server.stop()
    await server.close_all_connections()
