"""What the dashboard's browser tests share: chromium's path and flags, the page names, and
a recording wrapper around a playwright page."""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from playwright.async_api import ConsoleMessage, Page, Request, Response

from bench.dashboard_budget import CHROMIUM as BROWSER
from bench.dashboard_budget import CHROMIUM_ARGS

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path(BROWSER)
ARGS = CHROMIUM_ARGS
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
            self.problems.append(
                f"HTTP {response.status}: {response.request.method} {response.url}"
            )

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
