"""The dashboard in a real browser: Debian's chromium driven by playwright.

Never ``playwright install`` (it downloads its own browsers); the system's
``/usr/bin/chromium`` is used. Without it the browser tests are skipped with a message
naming the package, unless ``MCPHUB_REQUIRE_BROWSER`` is set (``.ci/run`` sets it), which
turns the skip into a failure: CI cannot pass without having run them.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Browser, async_playwright

from hub.server import HubServer
from tests.dashboard.browser import ARGS, CHROMIUM, UPSTREAM, Dashboard


@pytest.fixture
def hub_settings() -> dict[str, Any]:
    """One real stdio upstream, ``every`` (tools every-echo, every-add, …)."""
    return {"mcpServers": {"every": {**UPSTREAM, "args": [*UPSTREAM["args"], "--name", "every"]}}}


@pytest.fixture(scope="session")
def chromium_path() -> Path:
    if not CHROMIUM.exists():
        message = (
            "The dashboard's browser tests need Debian's chromium at /usr/bin/chromium: "
            "apt-get install -y chromium"
        )
        if os.environ.get("MCPHUB_REQUIRE_BROWSER"):
            pytest.fail(message + " (MCPHUB_REQUIRE_BROWSER is set, so this is a failure)")
        pytest.skip(message)
    return CHROMIUM


@pytest.fixture
async def browser(chromium_path: Path) -> AsyncIterator[Browser]:
    async with async_playwright() as pw:
        launched = await pw.chromium.launch(executable_path=str(chromium_path), args=ARGS)
        try:
            yield launched
        finally:
            await launched.close()


@pytest.fixture
async def dashboard(browser: Browser, hub_server: HubServer) -> AsyncIterator[Dashboard]:
    """A fresh browser context (light theme, 1280x800) on ``hub_server``."""
    context = await browser.new_context(viewport={"width": 1280, "height": 800})
    page = await context.new_page()
    page.set_default_timeout(15_000)
    board = Dashboard(page, f"http://{hub_server.address}")
    board.watch()
    try:
        yield board
    finally:
        await context.close()
