"""The dashboard in a real browser: Debian's chromium driven by playwright.

Never ``playwright install`` (it downloads its own browsers); the system's
``/usr/bin/chromium`` is used. Without it the browser tests are skipped with a message
naming the package, unless ``MCPHUB_REQUIRE_BROWSER`` is set (``.ci/run`` sets it), which
turns the skip into a failure: CI cannot pass without having run them.
"""

from __future__ import annotations

import os
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Browser, ConsoleMessage, Page, Request, Response, async_playwright

from hub.server import HubServer

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--no-sandbox",
    "--headless",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOTS = ROOT / "artifacts" / "screenshots"
"""Where the walk saves each page, light and dark (the README names it; not committed)."""

PAGES = [
    "Servers",
    "Groups",
    "Market",
    "Prompts",
    "Resources",
    "Keys",
    "Users",
    "OAuth clients",
    "Activity",
    "Logs",
    "Settings",
]
"""Every page, by the name of its link."""

UPSTREAM = {"command": sys.executable, "args": ["-m", "tests.upstreams.everything"]}


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


@dataclass
class Dashboard:
    """A browser page on the hub, recording everything that went wrong in it."""

    page: Page
    url: str
    problems: list[str] = field(default_factory=list)
    expected_statuses: set[int] = field(default_factory=set)

    def watch(self) -> None:
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda exc: self.problems.append(f"page error: {exc}"))
        self.page.on("requestfailed", self._failed)
        self.page.on("response", self._response)

    def _console(self, message: ConsoleMessage) -> None:
        if message.type not in ("error", "warning"):
            return
        # A refused request is reported twice: as its response (checked below, where an
        # expected status is allowed) and as this console line.
        if "Failed to load resource" in message.text and any(
            f"status of {s}" in message.text for s in self.expected_statuses
        ):
            return
        self.problems.append(f"console {message.type}: {message.text}")

    def _failed(self, request: Request) -> None:
        # Leaving the Logs page closes its event stream: the browser calls that "aborted".
        if "/api/logs/stream" in request.url and request.failure == "net::ERR_ABORTED":
            return
        self.problems.append(f"request failed: {request.method} {request.url} {request.failure}")

    def _response(self, response: Response) -> None:
        if response.status >= 400 and response.status not in self.expected_statuses:
            self.problems.append(f"HTTP {response.status}: {response.request.method} {response.url}")

    def assert_clean(self) -> None:
        assert self.problems == [], "\n".join(self.problems)

    async def login(self, password: str, username: str = "admin") -> None:
        await self.page.goto(self.url + "/")
        await self.page.get_by_label("Username").fill(username)
        await self.page.get_by_label("Password").fill(password)
        await self.page.get_by_role("button", name="Log in").click()
        await self.heading("Servers").wait_for()

    def heading(self, name: str) -> Any:
        return self.page.get_by_role("heading", name=name, level=1, exact=True)

    async def open(self, name: str) -> None:
        """Follow the navigation link called ``name`` and wait for its page."""
        nav = self.page.get_by_role("navigation", name="Pages")
        await nav.get_by_role("link", name=name, exact=True).click()
        await self.heading(name).wait_for()


@pytest.fixture
async def dashboard(browser: Browser, hub_server: HubServer) -> AsyncIterator[Dashboard]:
    """A fresh browser context (light theme, 1280×800) on ``hub_server``."""
    context = await browser.new_context(viewport={"width": 1280, "height": 800})
    page = await context.new_page()
    page.set_default_timeout(15_000)
    board = Dashboard(page, f"http://{hub_server.address}")
    board.watch()
    try:
        yield board
    finally:
        await context.close()
