"""Pages of API families that other plugins serve (activities, the local market), against a
stand-in plugin answering with MCPHub's shapes through the public ``register_routes`` hook:
the Activity page shows its totals and rows and filters them; the Market installs an entry
with the argument it asks for, and the server it creates really connects."""

from __future__ import annotations

import sys
from typing import Any

import pytest
from playwright.async_api import expect

from hub import hookimpl
from hub.plugin_api import APIHandler, Hub, Policy
from hub.plugins import Plugins
from hub.testing import HubClient, wait_for
from tests.dashboard.browser import Dashboard

pytestmark = pytest.mark.slow  # a browser per test

CALLS = [
    {
        "id": "a1",
        "timestamp": "2026-01-02T03:04:05Z",
        "server": "every",
        "tool": "echo",
        "duration": 12,
        "status": "success",
        "group": None,
        "keyName": "laptop",
        "errorMessage": None,
    },
    {
        "id": "a2",
        "timestamp": "2026-01-02T03:04:06Z",
        "server": "every",
        "tool": "fail",
        "duration": 30,
        "status": "error",
        "group": "team",
        "keyName": None,
        "errorMessage": "Tool returned error response",
    },
]

ENTRY = {
    "name": "echo-demo",
    "display_name": "Echo demo",
    "description": "Says things back",
    "categories": ["testing"],
    "installations": {
        "default": {
            "type": "stdio",
            "command": sys.executable,
            "args": ["-m", "tests.upstreams.everything", "--name", "${UPSTREAM_LABEL}"],
        }
    },
    "arguments": {"UPSTREAM_LABEL": {"description": "What it calls itself", "required": True}},
}


class ActivitiesHandler(APIHandler):
    policy = Policy.AUTHENTICATED

    async def get(self) -> None:
        status = self.get_query_argument("status", "")
        rows = [c for c in CALLS if not status or c["status"] == status]
        pages = {"page": 1, "limit": 25, "total": len(rows), "totalPages": 1}
        self.reply(rows, pagination={**pages, "hasNextPage": False, "hasPrevPage": False})


class StatsHandler(APIHandler):
    policy = Policy.AUTHENTICATED

    async def get(self) -> None:
        self.reply({"totalCalls": 2, "successCount": 1, "errorCount": 1, "avgDuration": 21})


class MarketHandler(APIHandler):
    policy = Policy.AUTHENTICATED

    async def get(self) -> None:
        self.reply([ENTRY])


class StandIn:
    """Serves the two families as their own plugins will."""

    @hookimpl
    def register_routes(self, hub: Hub) -> list[tuple[str, type, dict[str, Any]]]:
        return [
            (r"/api/activities", ActivitiesHandler, {}),
            (r"/api/activities/stats", StatsHandler, {}),
            (r"/api/market/servers", MarketHandler, {}),
        ]


@pytest.fixture
def hub_plugins(hub_plugins: Plugins) -> Plugins:
    hub_plugins.load()
    hub_plugins.register(StandIn(), name="stand-in-families")
    return hub_plugins


async def test_the_activity_page_shows_totals_rows_and_filters(
    dashboard: Dashboard, admin_password: str, admin_client: HubClient
) -> None:
    features = (await admin_client.get("/api/dashboard/features")).json()["data"]
    assert features["activities"] and features["market"] and not features["registry"]
    await dashboard.login(admin_password)
    page = dashboard.page
    await dashboard.open("Activity")
    await expect(page.locator(".stat", has_text="Calls")).to_contain_text("2")
    await expect(page.locator(".stat", has_text="Average duration")).to_contain_text("21 ms")
    rows = page.locator("tbody tr")
    await expect(rows).to_have_count(2)
    await expect(rows.nth(1)).to_contain_text("Tool returned error response")
    await page.get_by_label("Status").select_option("error")
    await expect(rows).to_have_count(1)
    await expect(rows.first).to_contain_text("fail")
    dashboard.assert_clean()


async def test_the_market_installs_an_entry_with_its_argument(
    dashboard: Dashboard, admin_password: str, admin_client: HubClient
) -> None:
    await dashboard.login(admin_password)
    page = dashboard.page
    await dashboard.open("Market")
    await page.get_by_role("button", name="Install Echo demo").click()
    form = page.get_by_role("form", name="Install echo-demo")
    await form.get_by_label("Server name").fill("demo")
    await form.get_by_label("UPSTREAM_LABEL").fill("demo-label")
    await form.get_by_role("button", name="Install demo").click()
    await expect(form.get_by_role("status")).to_contain_text("demo installed")
    config = (await admin_client.get("/api/servers/demo")).json()["data"]["config"]
    assert config["args"][-1] == "demo-label"

    async def connected() -> bool:
        data = (await admin_client.get("/api/servers/demo")).json()["data"]
        return bool(data["status"] == "connected")

    await wait_for(connected, within=30)
    # A catalog that is not served yet is a calm note, not an error.
    await page.get_by_role("tab", name="Registry").click()
    await expect(page.get_by_role("note").first).to_contain_text("official MCP registry")
    dashboard.assert_clean()
