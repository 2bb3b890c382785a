"""More of the dashboard's forms in the browser, each checked through the REST API: a
server's edit, reload and delete; a settings section with the API's validation message; a
password change; a built-in prompt; a user; and the keyboard alone."""

from __future__ import annotations

import pytest
from playwright.async_api import expect

from hub.testing import HubClient, wait_for
from tests.dashboard.browser import PAGES, Dashboard

pytestmark = pytest.mark.slow  # a browser per test


async def connected(client: HubClient, name: str) -> bool:
    r = await client.get(f"/api/servers/{name}")
    return bool(r.status_code == 200 and r.json()["data"]["status"] == "connected")


async def test_a_server_is_edited_reloaded_and_deleted(
    dashboard: Dashboard, admin_password: str, admin_client: HubClient
) -> None:
    await wait_for(lambda: connected(admin_client, "every"), within=30)
    await dashboard.login(admin_password)
    page = dashboard.page
    card = page.get_by_role("article", name="Server every")
    await card.get_by_role("button", name="Edit every").click()
    form = page.get_by_role("form", name="Edit server every")
    await expect(form.get_by_label("Command")).not_to_have_value("")
    await form.get_by_label("Description").fill("The test upstream")
    await form.get_by_role("button", name="Save changes").click()
    await expect(card.get_by_text("The test upstream")).to_be_visible()
    config = (await admin_client.get("/api/servers/every")).json()["data"]["config"]
    assert config["description"] == "The test upstream"
    assert config["args"][-2:] == ["--name", "every"]  # the rest of the config is kept

    await card.get_by_role("button", name="Reload every").click()
    await expect(card.get_by_text("connected", exact=True)).to_be_visible(timeout=30_000)

    await card.get_by_role("button", name="Delete every").click()
    await card.get_by_role("button", name="Yes, delete every").click()
    await expect(page.get_by_text("No servers yet")).to_be_visible()
    assert (await admin_client.get("/api/servers/every")).status_code == 404
    dashboard.assert_clean()


async def test_a_settings_section_is_saved_or_refused_with_the_api_message(
    dashboard: Dashboard, admin_password: str, admin_client: HubClient
) -> None:
    await dashboard.login(admin_password)
    page = dashboard.page
    await dashboard.open("Settings")
    install = page.get_by_role("form", name="Install", exact=True)
    await install.get_by_label("Public base URL").fill("http://127.0.0.1:3999")
    await install.get_by_role("button", name="Save Install").click()
    await expect(install.get_by_role("status")).to_contain_text("Install saved")
    system = (await admin_client.get("/api/settings")).json()["data"]["systemConfig"]
    assert system["install"]["baseUrl"] == "http://127.0.0.1:3999"

    dashboard.expected_statuses = {400}
    names = page.get_by_role("form", name="Names and sessions")
    await names.get_by_label("Name separator").fill("")
    await names.get_by_role("button", name="Save names and sessions").click()
    await expect(names.get_by_role("alert")).to_contain_text("nameSeparator")
    system = (await admin_client.get("/api/settings")).json()["data"]["systemConfig"]
    assert system["nameSeparator"] == "-"
    dashboard.assert_clean()


async def test_the_password_is_changed_and_the_session_goes_on(
    dashboard: Dashboard, admin_password: str, admin_client: HubClient
) -> None:
    await dashboard.login(admin_password)
    page = dashboard.page
    await dashboard.open("Settings")
    form = page.get_by_role("form", name="Change your password")
    await form.get_by_label("Current password").fill(admin_password)
    await form.get_by_label("New password").fill(admin_password + "-new")
    await form.get_by_role("button", name="Change password").click()
    await expect(form.get_by_role("status")).to_contain_text("Password changed")
    # The dashboard keeps working with the fresh token; the new password logs in.
    await dashboard.open("Users")
    await expect(page.get_by_text("administrator", exact=True)).to_be_visible()
    fresh = HubClient(admin_client.base_url)
    try:
        assert await fresh.login("admin", admin_password + "-new")
    finally:
        await fresh.aclose()
    dashboard.assert_clean()


async def test_a_prompt_and_a_user_are_created(
    dashboard: Dashboard, admin_password: str, admin_client: HubClient
) -> None:
    await dashboard.login(admin_password)
    page = dashboard.page
    await dashboard.open("Prompts")
    await page.get_by_role("button", name="Create prompt").click()
    form = page.get_by_role("form", name="Create a prompt")
    await form.get_by_label("Prompt name").fill("summarise")
    await form.get_by_label("Template").fill("Summarise {{topic}}")
    await form.get_by_label("Arguments").fill("topic")
    await form.get_by_role("button", name="Save prompt").click()
    switch = page.get_by_role("switch", name="summarise", exact=True)
    await expect(switch).to_be_checked()
    await switch.click()
    await expect(switch).not_to_be_checked()

    async def disabled() -> bool:  # the switch moves at once; the hub has it when the call returns
        prompts = (await admin_client.get("/api/prompts")).json()["data"]
        return [p["enabled"] for p in prompts] == [False]

    await wait_for(disabled)
    prompts = (await admin_client.get("/api/prompts")).json()["data"]
    assert [(p["name"], p["template"]) for p in prompts] == [("summarise", "Summarise {{topic}}")]
    assert prompts[0]["arguments"][0]["name"] == "topic"

    await dashboard.open("Users")
    await page.get_by_role("button", name="Create user").click()
    form = page.get_by_role("form", name="Create a user")
    await form.get_by_label("Username").fill("bob")
    await form.get_by_label("Password").fill("Bob-has-a-long-pass-1!")
    await form.get_by_role("button", name="Create user").click()
    await expect(page.get_by_role("switch", name="bob is an administrator")).not_to_be_checked()
    users = (await admin_client.get("/api/users")).json()["data"]
    assert {"username": "bob", "isAdmin": False} in users
    dashboard.assert_clean()


async def test_the_keyboard_alone_logs_in_and_flips_a_switch(
    dashboard: Dashboard, admin_password: str, admin_client: HubClient
) -> None:
    await wait_for(lambda: connected(admin_client, "every"), within=30)
    page = dashboard.page
    await page.goto(dashboard.url + "/")
    await expect(page.get_by_label("Username")).to_be_focused()  # autofocus
    await page.keyboard.type("admin")
    await page.keyboard.press("Tab")
    await page.keyboard.type(admin_password)
    await page.keyboard.press("Enter")
    await dashboard.heading("Servers").wait_for()
    switch = page.get_by_role("switch", name="Server every enabled")
    for _ in range(40):  # Tab until the server's switch has the focus
        await page.keyboard.press("Tab")
        if await switch.evaluate("el => el === document.activeElement"):
            break
    await expect(switch).to_be_focused()
    await page.keyboard.press("Space")
    await expect(switch).not_to_be_checked()

    async def disabled() -> bool:
        return (await admin_client.get("/api/servers/every")).json()["data"]["enabled"] is False

    await wait_for(disabled)
    dashboard.assert_clean()


async def test_a_normal_user_sees_only_their_pages(
    dashboard: Dashboard, admin_client: HubClient
) -> None:
    r = await admin_client.post(
        "/api/users", json={"username": "bob", "password": "Bob-has-a-long-pass-1!"}
    )
    assert r.status_code in (200, 201), r.text
    await dashboard.login("Bob-has-a-long-pass-1!", username="bob")
    nav = dashboard.page.get_by_role("navigation", name="Pages")
    names = [n.strip() for n in await nav.get_by_role("link").all_inner_texts()]
    assert names == [p for p in PAGES if p not in ("Keys", "Users", "Logs")]
    for name in names:
        await dashboard.open(name)
    await expect(dashboard.page.get_by_role("form", name="Change your password")).to_be_visible()
    # Admin-only actions are not offered: the MCPB upload and the activity clean-up.
    await dashboard.open("Market")
    await expect(dashboard.page.get_by_role("button", name="Install Time")).to_be_visible()
    await expect(dashboard.page.get_by_label("MCPB bundle (.mcpb)")).to_have_count(0)
    await dashboard.open("Activity")
    await expect(dashboard.page.get_by_label("Status")).to_be_visible()
    cleanup = dashboard.page.get_by_role("button", name="Remove records older than 30 days")
    await expect(cleanup).to_have_count(0)
    dashboard.assert_clean()


async def test_a_group_selection_reaches_the_api(
    dashboard: Dashboard, admin_password: str, admin_client: HubClient
) -> None:
    await wait_for(lambda: connected(admin_client, "every"), within=30)
    r = await admin_client.post("/api/groups", json={"name": "team", "servers": ["every"]})
    assert r.status_code in (200, 201), r.text
    await dashboard.login(admin_password)
    page = dashboard.page
    await dashboard.open("Groups")
    card = page.get_by_role("article", name="Group team")
    await card.get_by_text("every: all tools").click()
    await card.get_by_label("All tools of every").uncheck()
    await card.get_by_label("echo", exact=True).uncheck()
    await expect(card.get_by_label("All prompts of every")).to_be_checked()
    await expect(card.get_by_text("every: 25 of 26 tools")).to_be_visible()
    group = (await admin_client.get("/api/groups/team")).json()["data"]
    tools = group["servers"][0]["tools"]
    assert "echo" not in tools and "add" in tools and len(tools) == 25
    await card.get_by_label("All prompts of every").uncheck()
    await card.get_by_label("simple", exact=True).uncheck()
    await expect(card.get_by_text("1 of 2 prompts")).to_be_visible()
    group = (await admin_client.get("/api/groups/team")).json()["data"]
    assert group["servers"][0]["prompts"] == ["greet"]
    dashboard.assert_clean()


async def test_a_stale_token_at_start_shows_the_login_with_a_message(dashboard: Dashboard) -> None:
    page = dashboard.page
    await page.goto(dashboard.url + "/servers")
    await expect(page.get_by_label("Username")).to_be_visible()
    await page.evaluate("localStorage.setItem('mcphub_token', 'a-token-from-long-ago')")
    dashboard.expected_statuses = {401}
    await page.reload()
    await expect(page.get_by_role("status")).to_contain_text("session has ended")
    await expect(page.get_by_label("Username")).to_be_visible()
    dashboard.assert_clean()
