"""A fresh store of each backend (SQLite, PostgreSQL): the store contract suites run every
test against both through these fixtures."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from mcphub_postgres.plugin import _factory as postgres_factory
from mcphub_sqlite.plugin import _factory as sqlite_factory

from hub.plugin_api import Store
from tests.pg_fixtures import create_database, drop_database

BACKENDS = ["sqlite", "postgresql"]


@pytest.fixture(params=BACKENDS)
async def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """A location for a fresh store of each backend."""
    if request.param == "sqlite":
        yield f"sqlite:{tmp_path / 'hub.db'}"
        return
    url = await create_database()
    try:
        yield url
    finally:
        await drop_database(url)


def make_store(url: str, data_dir: Path) -> Store:
    factory = sqlite_factory if url.startswith("sqlite:") else postgres_factory
    return factory(url, data_dir)


@pytest.fixture
async def store(store_url: str, tmp_path: Path) -> AsyncIterator[Store]:
    """An opened store of each backend, closed after the test."""
    opened = make_store(store_url, tmp_path)
    await opened.open()
    try:
        yield opened
    finally:
        await opened.close()
