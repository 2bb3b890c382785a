"""Fixtures of the catalog tests: a fake HTTP service on 127.0.0.1 (``tests.catalogs.fakes``)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.catalogs.fakes import FakeService, serving


@pytest.fixture
async def fake_service() -> AsyncIterator[FakeService]:
    async with serving() as fake:
        yield fake
