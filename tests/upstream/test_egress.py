"""SSRF guard: normal users' HTTP upstreams cannot reach internal addresses, in any spelling."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator
from pathlib import Path

import pytest

from hub.auth.passwords import hash_password
from hub.config.models import ServerConfig, User
from hub.server import HubServer
from hub.upstream.egress import is_internal
from hub.upstream.state import Status
from tests.upstreams_fixtures import HttpUpstream, start_http, wait_status

REFUSED = [
    "127.0.0.1",
    "10.0.0.1",
    "172.16.0.1",
    "192.168.1.1",
    "169.254.169.254",
    "100.64.0.1",
    "0.0.0.0",
    "::1",
    "fd00::1",
    "fe80::1",
    "::ffff:127.0.0.1",
    "64:ff9b::7f00:1",
    "2002:7f00:1::",
    "2001:0:4136:e378:8000:63bf:80ff:fffe",  # Teredo carrying 127.0.0.1
]


@pytest.mark.parametrize("address", REFUSED)
def test_internal_addresses_in_every_spelling_are_refused(address: str) -> None:
    assert is_internal(ipaddress.ip_address(address))


@pytest.mark.parametrize("address", ["8.8.8.8", "1.1.1.1", "2606:4700:4700::1111"])
def test_public_addresses_pass(address: str) -> None:
    assert not is_internal(ipaddress.ip_address(address))


@pytest.fixture(scope="module")
def upstream(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HttpUpstream]:
    events = tmp_path_factory.mktemp("egress") / "events"
    up = start_http("tests.upstreams.everything", "streamable-http", events)
    yield up
    up.stop()


async def add_user(hub_server: HubServer, name: str, admin: bool = False) -> None:
    user = User(username=name, password=await hash_password("Pass-word-1!"), is_admin=admin)
    await hub_server.hub.config.put_user(user)


@pytest.mark.parametrize(
    "host",
    ["127.0.0.1", "localhost", "2130706433", "[::ffff:127.0.0.1]"],
)
async def test_a_users_upstream_cannot_dial_loopback(
    hub_server: HubServer, upstream: HttpUpstream, host: str
) -> None:
    await add_user(hub_server, "mallory")
    live = hub_server.hub.config
    url = f"http://{host}:{upstream.port}/mcp"
    await live.put_server(
        "probe", ServerConfig(type="streamable-http", url=url, owner="mallory"), create=True
    )
    await wait_status(hub_server.hub, "probe", Status.DISCONNECTED, within=10)
    state = hub_server.hub.upstreams.state("probe")
    assert "internal address" in (state.error or ""), state


async def test_admins_and_explicitly_allowed_users_may(
    hub_server: HubServer, upstream: HttpUpstream, tmp_path: Path
) -> None:
    hub = hub_server.hub
    await add_user(hub_server, "alice")
    await add_user(hub_server, "root2", admin=True)
    for name, owner in (("mine", None), ("admins", "root2")):
        cfg = ServerConfig(type="streamable-http", url=upstream.url, owner=owner)
        await hub.config.put_server(name, cfg, create=True)
        await wait_status(hub, name, Status.CONNECTED)
    cfg = ServerConfig(type="streamable-http", url=upstream.url, owner="alice")
    await hub.config.put_server("users", cfg, create=True)
    await wait_status(hub, "users", Status.DISCONNECTED, within=10)
    system = hub.config.system
    egress = system.egress.model_copy(update={"allow_internal": True})
    await hub.config.put_system(system.model_copy(update={"egress": egress}))
    await hub.upstreams.reload("users")
    await wait_status(hub, "users", Status.CONNECTED)
