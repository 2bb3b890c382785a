"""OAuth to upstream servers: a real protected upstream with its own authorization server on
127.0.0.1 (tests/upstreams/oauth_protected.py); consent is scripted by following the
authorization URL over HTTP, which the fake server answers with a redirect to the hub's
``/oauth/callback``."""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx2
import pytest

from hub.app import Hub, HubOptions
from hub.config.models import ServerConfig
from hub.server import HubServer
from hub.testing import HubClient, wait_for
from hub.upstream.state import Status
from tests.upstreams_fixtures import HttpUpstream, start_http, wait_status

MODULE = "tests.upstreams.oauth_protected"
PASSWORD = "Upstream-oauth-1!"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def protected(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[HttpUpstream]:
    transport, ttl = getattr(request, "param", ("streamable-http", 3600))
    upstream = start_http(
        MODULE,
        transport,
        tmp_path / "events",
        "--token-ttl",
        str(ttl),
        port=free_port(),
    )
    try:
        yield upstream
    finally:
        upstream.stop()


async def use_hub_callback(hub: Hub, address: str) -> None:
    """The hub's public URL, so the redirect URI it registers is its own /oauth/callback."""
    system = hub.config.system
    install = system.install.model_copy(update={"base_url": f"http://{address}"})
    await hub.config.put_system(system.model_copy(update={"install": install}))


async def consent(url: str) -> httpx2.Response:
    """The person: open the authorization URL; the fake server redirects to the hub."""
    async with httpx2.AsyncClient(follow_redirects=True, timeout=30) as browser:
        return await browser.get(url)


def count(upstream: HttpUpstream, prefix: str) -> int:
    return sum(1 for line in upstream.events_seen() if line.startswith(prefix))


@pytest.mark.parametrize(
    "protected", [("streamable-http", 4), ("sse", 4)], indirect=True, ids=["streamable", "sse"]
)
async def test_oauth_required_consent_connected_refresh_and_restart(
    hub_server: HubServer, admin_client: HubClient, hub_options: HubOptions, protected: HttpUpstream
) -> None:
    hub = hub_server.hub
    await use_hub_callback(hub, hub_server.address)
    r = await admin_client.post(
        "/api/servers",
        json={"name": "prot", "config": {"type": protected.transport, "url": protected.url}},
    )
    assert r.status_code == 200, r.text
    await wait_status(hub, "prot", Status.OAUTH_REQUIRED)

    r = await admin_client.get("/api/servers/prot")
    server = r.json()["data"]
    assert server["status"] == "oauth_required"
    url = server["oauth"]["authorizationUrl"]
    query = parse_qs(urlsplit(url).query)
    assert url.startswith(f"http://127.0.0.1:{protected.port}/authorize?")
    assert query["code_challenge_method"] == ["S256"] and query["code_challenge"]
    assert query["redirect_uri"] == [f"http://{hub_server.address}/oauth/callback"]
    assert query["state"] == [server["oauth"]["state"]]
    assert query["resource"] == [protected.url]
    assert query["client_id"][0].startswith("dyn-")  # dynamic client registration
    assert count(protected, "register ") == 1
    listed = (await admin_client.get("/api/servers")).json()["data"]
    assert next(s for s in listed if s["name"] == "prot")["oauth"]["authorizationUrl"] == url

    # A callback with a state no flow waits for is refused.
    r = await admin_client.get("/oauth/callback?code=x&state=forged")
    assert r.status_code == 400 and "text/html" in r.headers["content-type"]

    page = await consent(url)
    assert page.status_code == 200 and str(page.url).startswith(f"http://{hub_server.address}")
    assert "Authorization complete" in page.text
    await wait_status(hub, "prot", Status.CONNECTED)
    assert count(protected, "token authorization_code") == 1
    result = await hub.upstreams.call_tool("prot", "hello")
    assert result["content"][0]["text"] == "hello: ok"

    # Tokens are kept in the server's config, never shown by the API.
    stored = hub.config.servers["prot"].oauth or {}
    access, refresh = stored["accessToken"], stored["refreshToken"]
    r = await admin_client.get("/api/servers/prot")
    assert access not in r.text and refresh not in r.text
    assert r.json()["data"]["config"]["oauth"]["accessToken"] != access
    assert "oauth" not in r.json()["data"]

    # The access token expires (4 s): the next call refreshes it first, no new consent.
    expires_at = stored["expiresAt"]
    await wait_for(lambda: time.time() > expires_at, 10)
    result = await hub.upstreams.call_tool("prot", "hello")
    assert result["content"][0]["text"] == "hello: ok"
    assert count(protected, "token refresh_token") >= 1
    assert count(protected, "authorize ") == 1
    assert (hub.config.servers["prot"].oauth or {})["refreshToken"] != refresh  # rotated

    # A restart: the stored tokens (refreshed if expired) connect it again without consent.
    await hub_server.stop()
    second = HubServer(hub_options, hub=Hub(hub_options))
    await second.start()
    try:
        await wait_status(second.hub, "prot", Status.CONNECTED)
        result = await second.hub.upstreams.call_tool("prot", "hello")
        assert result["content"][0]["text"] == "hello: ok"
        assert count(protected, "authorize ") == 1
        assert count(protected, "register ") == 1
    finally:
        await second.stop()


async def test_preregistered_client_and_scope_step_up(
    hub_server: HubServer, admin_client: HubClient, protected: HttpUpstream
) -> None:
    hub = hub_server.hub
    await use_hub_callback(hub, hub_server.address)
    oauth = {"clientId": "pre-registered", "clientSecret": "pre-secret", "scopes": ["read"]}
    config = ServerConfig(type="streamable-http", url=protected.url, oauth=oauth)
    await hub.config.put_server("pre", config, create=True)
    await wait_status(hub, "pre", Status.OAUTH_REQUIRED)
    url = (hub.upstreams.state("pre").oauth or {})["authorizationUrl"]
    query = parse_qs(urlsplit(url).query)
    assert query["client_id"] == ["pre-registered"] and query["scope"] == ["read"]
    r = await admin_client.get("/api/servers/pre")
    assert "pre-secret" not in r.text
    assert (await consent(url)).status_code == 200
    await wait_status(hub, "pre", Status.CONNECTED)
    assert count(protected, "register ") == 0
    assert count(protected, "token authorization_code pre-registered") == 1

    # The admin tool needs the admin scope: 403 insufficient_scope asks for consent again,
    # with the union of scopes, and the call completes once it is given.
    call = asyncio.ensure_future(hub.upstreams.call_tool("pre", "admin_tool"))
    await wait_status(hub, "pre", Status.OAUTH_REQUIRED)
    step_up = (hub.upstreams.state("pre").oauth or {})["authorizationUrl"]
    assert set(parse_qs(urlsplit(step_up).query)["scope"][0].split()) == {"read", "admin"}
    assert (await consent(step_up)).status_code == 200
    result = await asyncio.wait_for(call, 30)
    assert result["content"][0]["text"] == "admin_tool: ok"
    await wait_status(hub, "pre", Status.CONNECTED)
    assert count(protected, "authorize pre-registered read admin") == 1


async def test_user_owned_server_keeps_its_owners_tokens(
    hub_server: HubServer, admin_client: HubClient, protected: HttpUpstream
) -> None:
    """A user's own upstream: only they (and admins) see its authorization URL; the tokens
    land in that user's server config, apart from another user's server on the same upstream."""
    hub = hub_server.hub
    await use_hub_callback(hub, hub_server.address)
    system = hub.config.system  # the upstream is on loopback: let users' configs reach it
    egress = system.egress.model_copy(update={"allow_internal": True})
    await hub.config.put_system(system.model_copy(update={"egress": egress}))
    clients = {}
    for user in ("bob", "carol"):
        r = await admin_client.post("/api/users", json={"username": user, "password": PASSWORD})
        assert r.status_code in (200, 201), r.text
        clients[user] = HubClient(f"http://{hub_server.address}")
        await clients[user].login(user, PASSWORD)
    try:
        for user in ("bob", "carol"):
            config = {"type": "streamable-http", "url": protected.url}
            r = await clients[user].post("/api/servers", json={"name": user, "config": config})
            assert r.status_code == 200, r.text
            await wait_status(hub, user, Status.OAUTH_REQUIRED)
        assert hub.config.servers["bob"].owner == "bob"
        r = await clients["carol"].get("/api/servers/bob")
        assert r.status_code in (403, 404)
        bob = (await clients["bob"].get("/api/servers/bob")).json()["data"]
        assert (await consent(bob["oauth"]["authorizationUrl"])).status_code == 200
        await wait_status(hub, "bob", Status.CONNECTED)
        assert hub.upstreams.state("carol").status is Status.OAUTH_REQUIRED
        assert (hub.config.servers["bob"].oauth or {}).get("accessToken")
        assert not (hub.config.servers["carol"].oauth or {}).get("accessToken")
    finally:
        for client in clients.values():
            await client.aclose()
