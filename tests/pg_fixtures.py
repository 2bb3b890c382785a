"""A fresh PostgreSQL database per test (the server at 127.0.0.1:5432, trust auth).

Each test gets its own database, ``mcphub_t_<hex>``, made from the ``test`` database and
dropped afterwards (connections still open are ended), so tests and other users of the
server never see each other's tables.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator

import asyncpg
import pytest

PG_HOST = os.environ.get("MCPHUB_TEST_PG", "127.0.0.1:5432")
ADMIN_DATABASE = "test"


async def _admin() -> tuple[asyncpg.Connection, str]:
    """A connection to the admin database, as the first of postgres/root that works."""
    last: Exception | None = None
    for user in ("postgres", "root"):
        try:
            conn = await asyncpg.connect(f"postgresql://{user}@{PG_HOST}/{ADMIN_DATABASE}")
        except (OSError, asyncpg.PostgresError) as exc:
            last = exc
            continue
        return conn, user
    raise RuntimeError(f"no PostgreSQL at {PG_HOST}: {last}")


async def create_database() -> str:
    """Create an empty database; returns its URL."""
    conn, user = await _admin()
    name = f"mcphub_t_{uuid.uuid4().hex}"
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return f"postgresql://{user}@{PG_HOST}/{name}"


async def drop_database(url: str) -> None:
    name = url.rsplit("/", 1)[1]
    conn, _ = await _admin()
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


@pytest.fixture
async def pg_url() -> AsyncIterator[str]:
    """The URL of an empty database of its own, dropped after the test."""
    url = await create_database()
    try:
        yield url
    finally:
        await drop_database(url)
