"""The dashboard in Debian's chromium against a real hub with a real stdio upstream: log in,
walk every page (light and dark, screenshots), add a server through the form, toggle a tool,
create a group and a key, follow the logs, and fail a login; no console error, failed request
or unexpected HTTP error on the way."""

from __future__ import annotations

import re
import sys
import uuid
from typing import Any

import pytest
from playwright.async_api import Browser, expect

from bench.dashboard_budget import BUDGET_BYTES, BUDGET_MS, IN_SUITE_SLACK
from hub.server import HubServer
from hub.testing import HubClient, wait_for
from tests.dashboard.browser import PAGES, SCREENSHOTS, Dashboard

pytestmark = pytest.mark.slow  # a browser per test


async def test_walks_every_page_light_and_dark(dashboard: Dashboard, admin_password: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    await dashboard.login(admin_password)
    page = dashboard.page
    for theme in ("light", "dark"):
        pressed = "true" if theme == "dark" else "false"
        toggle = page.get_by_role("button", name="Dark theme")
        if await toggle.get_attribute("aria-pressed") != pressed:
            await toggle.click()
        await expect(page.locator("html")).to_have_attribute("data-theme", theme)
        for name in PAGES:
            await dashboard.open(name)
            await expect(page.get_by_role("link", name=name, exact=True)).to_have_attribute(
                "aria-current", "page"
            )
            if name != "Logs":  # the log stream never idles
                await page.wait_for_load_state("networkidle")
            slug = name.lower().replace(" ", "-")
            await page.screenshot(path=SCREENSHOTS / f"{slug}-{theme}.png", full_page=True)
    # Every family is served now: no page shows a "not built yet" note or an error.
    for name in PAGES:
        await dashboard.open(name)
        await expect(page.get_by_role("heading", level=1)).to_have_text(name)
        await expect(page.locator(".pending")).to_have_count(0)
        await expect(page.get_by_role("alert")).to_have_count(0)
    dashboard.assert_clean()


async def test_phone_width_has_no_sideways_scroll(
    browser: Browser, hub_server: HubServer, admin_password: str
) -> None:
    context = await browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    board = Dashboard(await context.new_page(), f"http://{hub_server.address}")
    board.watch()
    try:
        await board.login(admin_password)
        for name in ("Servers", "Keys", "Logs", "Settings"):
            await board.open(name)
            width = await board.page.evaluate("document.documentElement.scrollWidth")
            assert width <= 390, (name, width)
        await board.open("Servers")
        await board.page.screenshot(path=SCREENSHOTS / "servers-phone.png", full_page=True)
        board.assert_clean()
    finally:
        await context.close()


async def test_a_wrong_password_is_refused_in_the_form(
    dashboard: Dashboard, admin_password: str
) -> None:
    dashboard.expected_statuses = {401}
    page = dashboard.page
    await page.goto(dashboard.url + "/")
    await page.get_by_label("Username").fill("admin")
    await page.get_by_label("Password").fill(admin_password + "-wrong")
    await page.get_by_role("button", name="Log in").click()
    await expect(page.get_by_role("alert")).to_contain_text("Invalid")
    await expect(dashboard.heading("Servers")).to_have_count(0)
    dashboard.assert_clean()


async def test_a_server_added_through_the_form_connects(
    dashboard: Dashboard, admin_password: str, admin_client: HubClient
) -> None:
    await dashboard.login(admin_password)
    page = dashboard.page
    await page.get_by_role("button", name="Add server").click()
    form = page.get_by_role("form", name="Add a server")
    # First without a command: the API's message appears in the form.
    dashboard.expected_statuses = {400}
    await form.get_by_label("Name").fill("added")
    await form.get_by_role("button", name="Add server").click()
    await expect(form.get_by_role("alert")).to_contain_text("command")
    # … and under the field it names.
    await expect(form.get_by_label("Command")).to_have_attribute("aria-invalid", "true")
    await form.get_by_label("Command").fill(sys.executable)
    await form.get_by_label("Arguments").fill("-m\ntests.upstreams.everything\n--name\nadded")
    await form.get_by_role("button", name="Add server").click()
    card = page.get_by_role("article", name="Server added")
    await expect(card.get_by_text("connected", exact=True)).to_be_visible(timeout=30_000)
    server = (await admin_client.get("/api/servers/added")).json()["data"]
    assert server["status"] == "connected"
    assert server["config"]["args"] == ["-m", "tests.upstreams.everything", "--name", "added"]
    dashboard.assert_clean()


async def test_a_tool_switch_and_description_reach_the_api(
    dashboard: Dashboard, admin_password: str, admin_client: HubClient
) -> None:
    await wait_for(lambda: _connected(admin_client, "every"), within=30)
    await dashboard.login(admin_password)
    page = dashboard.page
    card = page.get_by_role("article", name="Server every")
    await expect(card.get_by_text("connected", exact=True)).to_be_visible()
    await card.get_by_role("button", name="Tools of every").click()
    switch = card.get_by_role("switch", name="every-echo", exact=True)
    await expect(switch).to_be_checked()
    await switch.click()
    await expect(switch).not_to_be_checked()

    async def echo() -> dict[str, object]:
        tools = (await admin_client.get("/api/servers/every")).json()["data"]["tools"]
        found: dict[str, object] = next(t for t in tools if t["name"] == "every-echo")
        return found

    # The switch moves at once; the hub has it when the call returns.
    await wait_for(lambda: _echo_enabled(admin_client, False))
    await card.get_by_role("button", name="Edit description of every-echo").click()
    await card.get_by_label("Description of every-echo").fill("Says it back")
    await card.get_by_role("button", name="Save description").click()
    await expect(card.get_by_text("Says it back")).to_be_visible()
    assert (await echo())["description"] == "Says it back"
    await card.get_by_role("button", name="Reset description of every-echo").click()
    await expect(card.get_by_text("test tool echo")).to_be_visible()
    await switch.click()
    await expect(switch).to_be_checked()
    await wait_for(lambda: _echo_enabled(admin_client, True))
    dashboard.assert_clean()


async def _echo_enabled(client: HubClient, enabled: bool) -> bool:
    tools = (await client.get("/api/servers/every")).json()["data"]["tools"]
    return any(t["name"] == "every-echo" and t["enabled"] is enabled for t in tools)


async def _connected(client: HubClient, name: str) -> bool:
    r = await client.get(f"/api/servers/{name}")
    return bool(r.status_code == 200 and r.json()["data"]["status"] == "connected")


async def test_a_group_and_a_key_are_created(
    dashboard: Dashboard, admin_password: str, admin_client: HubClient
) -> None:
    await dashboard.login(admin_password)
    page = dashboard.page
    await dashboard.open("Groups")
    await expect(page.get_by_text("No groups yet")).to_be_visible()
    await page.get_by_role("button", name="Create group").first.click()
    form = page.get_by_role("form", name="Create a group")
    await form.get_by_label("Group name").fill("team")
    await form.get_by_label("every").check()
    await form.get_by_role("button", name="Create group").click()
    group_card = page.get_by_role("article", name="Group team")
    await expect(group_card).to_contain_text("/mcp/team")
    groups = (await admin_client.get("/api/groups")).json()["data"]
    assert [(g["name"], [s["name"] for s in g["servers"]]) for g in groups] == [("team", ["every"])]

    await dashboard.open("Keys")
    await page.get_by_role("button", name="Create key").first.click()
    form = page.get_by_role("form", name="Create a key")
    await form.get_by_label("Key name").fill("laptop")
    await form.get_by_label("Scope").select_option("groups")
    await form.get_by_label("team").check()
    await form.get_by_role("button", name="Create key").click()
    shown = page.get_by_role("region", name="New key laptop")
    token = (await shown.locator("code").first.inner_text()).strip()
    assert token.startswith("mcphub_")
    await expect(shown.locator("pre")).to_contain_text(f"Bearer {token}")
    await expect(shown.locator("pre")).to_contain_text("/mcp/team")
    await shown.get_by_role("button", name="Copy token").click()
    await expect(shown.get_by_role("button", name="Copied", exact=True)).to_be_visible()
    keys = (await admin_client.get("/api/auth/keys")).json()["data"]
    assert [(k["name"], k["accessType"], k["allowedGroups"]) for k in keys] == [
        ("laptop", "groups", ["team"])
    ]
    # The token works for MCP clients, and is not shown again after a reload.
    r = await admin_client.post(
        "/mcp/team",
        json={"jsonrpc": "2.0", "id": 1, "method": "ping"},
        headers={
            "Authorization": f"Bearer {token}",
            "Accept": "application/json, text/event-stream",
        },
        token=None,
    )
    assert r.status_code != 401
    await page.reload()
    await dashboard.heading("Keys").wait_for()
    await expect(page.get_by_text(token)).to_have_count(0)
    dashboard.assert_clean()


async def test_a_log_line_arrives_live_and_the_filter_and_pause_work(
    dashboard: Dashboard, admin_password: str, admin_client: HubClient
) -> None:
    await dashboard.login(admin_password)
    page = dashboard.page
    await dashboard.open("Logs")
    await expect(page.get_by_text("live", exact=True)).to_be_visible()
    marker = f"/api/marker-{uuid.uuid4().hex[:8]}"
    await admin_client.get(marker)  # the access log writes "404 GET <marker>"
    lines = page.get_by_role("list", name="Log lines")
    await expect(lines).to_contain_text(marker)
    await page.get_by_label("Filter logs").fill(marker)
    await expect(lines.locator("li")).to_have_count(1)
    await page.get_by_role("button", name="Pause").click()
    second = marker + "-paused"
    await admin_client.get(second)
    await expect(page.get_by_text(re.compile(r"paused \([1-9]\d* waiting\)"))).to_be_visible()
    await expect(lines).not_to_contain_text(second)
    await page.get_by_role("button", name="Resume").click()
    await expect(lines).to_contain_text(second)
    dashboard.assert_clean()


async def test_an_ended_session_returns_to_the_login_with_a_message(
    dashboard: Dashboard, admin_password: str, admin_client: HubClient
) -> None:
    await dashboard.login(admin_password)
    # A new password ends every earlier token (the dashboard's among them).
    new_password = admin_password + "-2"
    r = await admin_client.put("/api/users/admin", json={"newPassword": new_password})
    assert r.status_code == 200, r.text
    dashboard.expected_statuses = {401}
    # The next request finds the token refused: opening a page, or the Servers page's own
    # refresh if that comes first (then the link is already gone, and the click is a no-op).
    await dashboard.page.evaluate("document.querySelector('nav a[href$=\"/groups\"]')?.click()")
    await expect(dashboard.page.get_by_role("status")).to_contain_text("session has ended")
    await expect(dashboard.page.get_by_label("Username")).to_be_visible()
    await dashboard.login(new_password)
    await dashboard.open("Logs")
    await dashboard.page.get_by_role("button", name="Log out").click()
    await expect(dashboard.page.get_by_text("You are logged out.")).to_be_visible()
    dashboard.assert_clean()


FIRST_LOAD = """() => {
  const entries = [...performance.getEntriesByType("navigation"),
                   ...performance.getEntriesByType("resource")];
  return {
    bytes: entries.reduce((sum, e) => sum + e.transferSize, 0),
    decoded: entries.reduce((sum, e) => sum + e.decodedBodySize, 0),
    files: entries.length,
    interactiveMs: performance.now(),
  };
}"""


async def test_first_load_is_small_and_quick(
    browser: Browser, hub_server: HubServer, admin_client: HubClient
) -> None:
    """Cold loads (empty cache) of the Servers page of a logged-in user: every byte the
    browser received, compressed, and the time until the server's switch can be used.

    The bytes are held to the budget (``bench.dashboard_budget``, 200 KB) here. The time
    budget (1 s) is held by ``.ci/steps/dashboard-budget.sh`` (``python -m
    bench.dashboard_load``), which runs after the suite: inside it the hub shares its event
    loop with the test and the machine with every other test, so here the best of three only
    has to stay under ``IN_SUITE_SLACK`` times that budget (5 s)."""
    await wait_for(lambda: _connected(admin_client, "every"), within=30)
    loads = [await _cold_load(browser, hub_server, str(admin_client.token)) for _ in range(3)]
    print("first loads of /servers:", loads)
    best = min(loads, key=lambda figures: figures["interactiveMs"])
    assert all(figures["bytes"] < BUDGET_BYTES for figures in loads), loads
    assert best["interactiveMs"] < BUDGET_MS * IN_SUITE_SLACK, loads


async def _cold_load(browser: Browser, hub_server: HubServer, token: str) -> dict[str, Any]:
    context = await browser.new_context(viewport={"width": 1280, "height": 800})
    await context.add_init_script(f"localStorage.setItem('mcphub_token', '{token}')")
    board = Dashboard(await context.new_page(), f"http://{hub_server.address}")
    board.watch()
    try:
        await board.page.goto(board.url + "/servers")
        # Timed inside the page (polled every frame): when the server's switch can be used.
        ready = await board.page.wait_for_function(
            """() => document.querySelector('[aria-label="Server every enabled"]:not(:disabled)')
                && performance.now()""",
            polling="raf",
        )
        figures: dict[str, Any] = await board.page.evaluate(FIRST_LOAD)
        figures["interactiveMs"] = round(await ready.json_value())
        board.assert_clean()
        return figures
    finally:
        await context.close()
