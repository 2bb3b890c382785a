"""Pages of the API families other plugins serve, against the real ones: the Activity page
after real tool calls through ``/mcp``; the Market installing from a ``servers.json`` served
on 127.0.0.1 until the server is connected; the Registry tab on a fake v0.1 registry; an
MCPB bundle uploaded through the page; OAuth clients created and deleted; the smart-routing
index rebuilt from the Settings page."""

from __future__ import annotations

import io
import json
import sys
import zipfile
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import expect

from hub.testing import HubClient, McpSession, wait_for
from tests.api_fixtures import wait_server
from tests.catalogs.fakes import FakeService, data, serving
from tests.dashboard.browser import SCREENSHOTS, Dashboard

pytestmark = pytest.mark.slow  # a browser per test

ROOT = Path(__file__).resolve().parents[2]
TINY = str(ROOT / "bench" / "tiny_stdio.py")


@pytest.fixture
async def fake() -> AsyncIterator[FakeService]:
    """A real HTTP server on 127.0.0.1 answering what the test sets per path."""
    async with serving() as service:
        yield service


async def test_activity_page_shows_real_calls_with_filters_and_stats(
    dashboard: Dashboard, admin_password: str, admin_client: HubClient, mcp_session: McpSession
) -> None:
    await wait_server(admin_client, "every", "connected")
    for text in ("hi", "again"):
        echoed = await mcp_session.call_tool("every-echo", {"text": text})
        assert not echoed.get("isError"), echoed
    failed = await mcp_session.call_tool("every-fail", {})
    assert failed.get("isError") is True

    async def recorded() -> bool:  # the record is written after the reply
        return bool(data(await admin_client.get("/api/activities/stats"))["totalCalls"] == 3)

    await wait_for(recorded, within=10)
    await dashboard.login(admin_password)
    page = dashboard.page
    await dashboard.open("Activity")
    await expect(page.locator(".stat", has_text="Calls")).to_contain_text("3")
    await expect(page.locator(".stat", has_text="Succeeded")).to_contain_text("2")
    await expect(page.locator(".stat", has_text="Failed")).to_contain_text("1")
    rows = page.locator("tbody tr")
    await expect(rows).to_have_count(3)
    await expect(rows.first.locator("td").nth(2)).to_have_text("fail")  # newest first
    await expect(rows.first).to_contain_text("Tool returned error response")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=SCREENSHOTS / "activity-calls-light.png", full_page=True)
    await page.get_by_label("Status").select_option("error")
    await expect(rows).to_have_count(1)
    await expect(page.locator(".stat", has_text="Calls")).to_contain_text("1")
    await page.get_by_label("Status").select_option("")
    await page.get_by_label("Tool").fill("echo")
    await expect(rows).to_have_count(2)
    await expect(page.locator(".stat", has_text="Failed")).to_contain_text("0")
    dashboard.assert_clean()


def tiny_catalog() -> dict[str, Any]:
    return {
        "tiny": {
            "display_name": "Tiny",
            "description": "A tiny stdio server",
            "categories": ["Testing"],
            "installations": {
                "python": {"type": "python", "command": sys.executable, "args": [TINY, "${LABEL}"]}
            },
            "arguments": {"LABEL": {"description": "What it calls itself", "required": True}},
        }
    }


async def test_market_installs_from_a_served_catalog_until_connected(
    dashboard: Dashboard, admin_password: str, admin_client: HubClient, fake: FakeService
) -> None:
    fake.routes["/servers.json"] = lambda seen: (200, tiny_catalog())
    r = await admin_client.put(
        "/api/system-config", json={"market": {"url": f"{fake.url}/servers.json"}}
    )
    assert r.status_code == 200, r.text
    await dashboard.login(admin_password)
    page = dashboard.page
    await dashboard.open("Market")
    await page.get_by_role("button", name="Install Tiny").click()
    form = page.get_by_role("form", name="Install tiny")
    await form.get_by_label("Server name").fill("tiny-one")
    await form.get_by_label("LABEL").fill("from-the-page")
    await form.get_by_role("button", name="Install tiny-one").click()
    await expect(form.get_by_role("status")).to_contain_text("tiny-one installed")
    assert fake.requests_to("/servers.json")
    server = await wait_server(admin_client, "tiny-one", "connected", within=30)
    assert server["config"]["args"][-1] == "from-the-page"
    dashboard.assert_clean()


REGISTRY_SERVER = {
    "name": "io.github.test/everything",
    "title": "Everything remote",
    "description": "The test upstream over HTTP",
    "version": "1.2.0",
}


async def test_registry_tab_lists_searches_and_installs_a_remote(
    dashboard: Dashboard,
    admin_password: str,
    admin_client: HubClient,
    fake: FakeService,
    everything_http: str,
) -> None:
    server = {**REGISTRY_SERVER, "remotes": [{"type": "streamable-http", "url": everything_http}]}
    entry = {"server": server, "_meta": {}}

    def page_of(seen: Any) -> tuple[int, Any]:
        found = [entry] if seen.query.get("search", "every") in server["name"] else []
        return 200, {"servers": found, "metadata": {"count": len(found)}}

    def version_of(seen: Any) -> tuple[int, Any]:
        return 200, entry

    fake.routes["/v0.1/servers"] = page_of
    fake.routes["*"] = version_of
    await dashboard.login(admin_password)
    page = dashboard.page
    # The registry is set where a user would set it: the Settings page.
    await dashboard.open("Settings")
    section = page.get_by_role("form", name="MCP registry")
    await section.get_by_label("Registry base URL (v0.1 API)").fill(f"{fake.url}/v0.1")
    await section.get_by_role("button", name="Save MCP registry").click()
    await expect(section.get_by_role("status")).to_contain_text("MCP registry saved.")
    config = data(await admin_client.get("/api/settings"))["systemConfig"]
    assert config["registry"]["baseUrl"] == f"{fake.url}/v0.1"
    await dashboard.open("Market")
    await page.get_by_role("tab", name="Registry").click()
    await expect(page.get_by_role("heading", name="Everything remote")).to_be_visible()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=SCREENSHOTS / "market-registry-light.png", full_page=True)
    await page.get_by_label("Search the registry").fill("nothing-like-it")
    await expect(page.get_by_text("The registry has no server matching")).to_be_visible()
    await page.get_by_label("Search the registry").fill("everything")
    await page.get_by_role("button", name="Install Everything remote").click()
    form = page.get_by_role("form", name="Install io.github.test/everything")
    await form.get_by_label("Server name").fill("remote-every")
    await form.get_by_role("button", name="Install remote-every").click()
    await expect(form.get_by_role("status")).to_contain_text("remote-every installed")
    installed = await wait_server(admin_client, "remote-every", "connected", within=30)
    assert installed["config"]["url"] == everything_http
    dashboard.assert_clean()


CLOUD_SERVER = {
    "name": "weather",
    "author_name": "Sky Corp",
    "title": "Weather",
    "description": "Forecasts for any city",
    "server_key": "weather-key",
    "config_name": "weather-cfg",
}


async def test_cloud_tab_lists_mcprouter_and_installs_with_its_key(
    dashboard: Dashboard,
    admin_password: str,
    admin_client: HubClient,
    fake: FakeService,
    everything_http: str,
) -> None:
    def envelope(payload: Any) -> tuple[int, Any]:
        return 200, {"code": 0, "message": "ok", "data": payload}

    fake.routes["/v1/list-servers"] = lambda seen: envelope({"servers": [CLOUD_SERVER]})
    fake.routes["/v1/list-tools"] = lambda seen: envelope({"tools": []})
    fake.routes["/v1/get-server"] = lambda seen: envelope({"server_url": everything_http})
    router = {"baseUrl": f"{fake.url}/v1", "apiKey": "router-key-1"}
    r = await admin_client.put("/api/system-config", json={"mcpRouter": router})
    assert r.status_code == 200, r.text
    await dashboard.login(admin_password)
    page = dashboard.page
    await dashboard.open("Market")
    await page.get_by_role("tab", name="Cloud").click()
    await expect(page.get_by_text("by Sky Corp")).to_be_visible()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=SCREENSHOTS / "market-cloud-light.png", full_page=True)
    await page.get_by_role("button", name="Install Weather").click()
    form = page.get_by_role("form", name="Install weather")
    await expect(form.get_by_label("Server name")).to_have_value("weather-cfg")
    await form.get_by_role("button", name="Install weather-cfg").click()
    await expect(form.get_by_role("status")).to_contain_text("weather-cfg installed")
    assert fake.requests_to("/v1/get-server")[-1].body == {"server": "weather-key"}
    installed = await wait_server(admin_client, "weather-cfg", "connected", within=30)
    assert installed["config"]["url"] == everything_http
    dashboard.assert_clean()


def mcpb_bundle() -> bytes:
    manifest = {
        "manifest_version": "0.3",
        "name": "page-bundle",
        "version": "1.0.0",
        "description": "A tiny stdio server uploaded from the dashboard",
        "author": {"name": "Test Author"},
        "server": {
            "type": "python",
            "entry_point": "server/main.py",
            "mcp_config": {
                "command": sys.executable,
                "args": ["${__dirname}/server/main.py", "bundled"],
            },
        },
    }
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("manifest.json", json.dumps(manifest))
        archive.writestr("server/main.py", Path(TINY).read_bytes())
    return out.getvalue()


async def test_mcpb_bundle_uploaded_through_the_page_connects(
    dashboard: Dashboard, admin_password: str, admin_client: HubClient, tmp_path: Path
) -> None:
    path = tmp_path / "page-bundle.mcpb"
    path.write_bytes(mcpb_bundle())
    await dashboard.login(admin_password)
    page = dashboard.page
    await dashboard.open("Market")
    await page.get_by_label("MCPB bundle (.mcpb)").set_input_files(str(path))
    await page.get_by_role("button", name="Upload bundle").click()
    upload = page.get_by_role("form", name="Upload an MCPB bundle")
    await expect(upload.get_by_role("status")).to_contain_text("page-bundle installed")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=SCREENSHOTS / "market-mcpb-light.png", full_page=True)
    await wait_server(admin_client, "page-bundle", "connected", within=30)
    dashboard.assert_clean()


async def test_oauth_clients_created_and_deleted(
    dashboard: Dashboard, admin_password: str, admin_client: HubClient
) -> None:
    await dashboard.login(admin_password)
    page = dashboard.page
    await dashboard.open("OAuth clients")
    await page.get_by_role("button", name="Create client").click()
    await page.get_by_label("Client name").fill("Laptop client")
    await page.get_by_label("Redirect URIs").fill("http://127.0.0.1:9999/callback")
    await page.get_by_role("button", name="Save client").click()
    await expect(page.get_by_role("heading", name="Client Laptop client created")).to_be_visible()
    clients = (await admin_client.get("/api/oauth/clients")).json()["clients"]
    made = [c for c in clients if c["name"] == "Laptop client"]
    assert len(made) == 1
    assert made[0]["redirectUris"] == ["http://127.0.0.1:9999/callback"]
    shown = page.locator(".copy-block", has_text="Client ID").locator("code")
    await expect(shown).to_have_text(made[0]["clientId"])
    secret = page.locator(".copy-block", has_text="Client secret").locator("code")
    assert len(await secret.inner_text()) >= 16
    assert "clientSecret" not in made[0] or made[0]["clientSecret"] != await secret.inner_text()
    await page.get_by_role("button", name="I have copied it").click()
    await expect(secret).to_have_count(0)
    await page.get_by_role("button", name="Delete client Laptop client").click()
    await page.get_by_role("button", name="Yes, delete Laptop client").click()
    await expect(page.get_by_text("Laptop client", exact=True)).to_have_count(0)
    clients = (await admin_client.get("/api/oauth/clients")).json()["clients"]
    assert not [c for c in clients if c["name"] == "Laptop client"]
    dashboard.assert_clean()


async def test_smart_routing_rebuild_button_reports_the_index(
    dashboard: Dashboard, admin_password: str, admin_client: HubClient
) -> None:
    await wait_server(admin_client, "every", "connected")
    r = await admin_client.put(
        "/api/system-config",
        json={"smartRouting": {"enabled": True, "embeddingProvider": "lexical"}},
    )
    assert r.status_code == 200, r.text
    await dashboard.login(admin_password)
    page = dashboard.page
    await dashboard.open("Settings")
    provider = page.get_by_label("Tool search provider")
    await expect(provider).to_have_value("lexical")
    await page.get_by_role("button", name="Rebuild tool index").click()
    await expect(page.get_by_text("Tool index rebuilt:")).to_contain_text("(lexical)")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=SCREENSHOTS / "settings-reindex-light.png", full_page=True)
    text = await page.get_by_text("Tool index rebuilt:").inner_text()
    assert int(text.split(":")[1].split()[0]) > 0
    dashboard.assert_clean()
