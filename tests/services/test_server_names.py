"""Server names: said in words, no blanks, ``;`` or HTML, never ambiguous as a tool prefix."""

from __future__ import annotations

import logging

import pytest

from hub.config.models import ServerConfig
from hub.server import HubServer
from hub.testing import HubClient

RULE_WORDS = "may contain only letters"


def remote(port: int = 9) -> dict[str, object]:
    return {"type": "streamable-http", "url": f"http://127.0.0.1:{port}/mcp", "enabled": False}


async def add(client: HubClient, name: str) -> tuple[int, str]:
    r = await client.post("/api/servers", json={"name": name, "config": remote()})
    return r.status_code, r.json().get("message", "")


@pytest.mark.parametrize(
    "name", ["my server", "a;b", "<b>x</b>", "x'y", 'x"y', "x&y", "émoji🙂", "-lead", ".dot", "a b"]
)
async def test_bad_names_are_refused_in_words(admin_client: HubClient, name: str) -> None:
    status, message = await add(admin_client, name)
    assert status == 400, message
    assert RULE_WORDS in message
    assert "pattern" not in message and "^" not in message


@pytest.mark.parametrize("name", ["time", "Time_2", "my.server", "a-b-c", "x1"])
async def test_good_names_are_accepted(admin_client: HubClient, name: str) -> None:
    assert (await add(admin_client, name))[0] == 200


@pytest.mark.parametrize(("first", "second"), [("time", "time-get"), ("time-get", "time")])
async def test_a_name_that_prefixes_another_under_the_separator_is_refused(
    admin_client: HubClient, first: str, second: str
) -> None:
    assert (await add(admin_client, first))[0] == 200
    status, message = await add(admin_client, second)
    assert status == 409, message
    assert first in message and "ambiguous" in message
    # Another separator's prefix is fine: time_get next to time under "-".
    assert (await add(admin_client, "time_get"))[0] == 200


async def test_batch_and_rename_apply_the_same_rules(admin_client: HubClient) -> None:
    assert (await add(admin_client, "time"))[0] == 200
    assert (await add(admin_client, "clock"))[0] == 200
    r = await admin_client.post(
        "/api/servers/batch",
        json={
            "servers": [{"name": "time-x", "config": remote()}, {"name": "a b", "config": remote()}]
        },
    )
    results = r.json()["results"] if "results" in r.json() else r.json()["data"]["results"]
    assert [item["success"] for item in results] == [False, False]
    r = await admin_client.put(
        "/api/servers/clock", json={"newName": "time-now", "config": remote()}
    )
    assert r.status_code == 409, r.text
    r = await admin_client.put("/api/servers/clock", json={"newName": "cl ock", "config": remote()})
    assert r.status_code == 400 and RULE_WORDS in r.json()["message"]


async def test_a_separator_change_that_makes_names_ambiguous_is_refused(
    hub_server: HubServer, admin_client: HubClient
) -> None:
    assert (await add(admin_client, "time"))[0] == 200
    assert (await add(admin_client, "time_get"))[0] == 200
    r = await admin_client.put("/api/system-config", json={"nameSeparator": "_"})
    assert r.status_code == 409, r.text
    assert "time_get" in r.json()["message"]
    assert hub_server.hub.config.system.name_separator == "-"
    r = await admin_client.put("/api/system-config", json={"nameSeparator": "__"})
    assert r.status_code == 200, r.text


async def test_legacy_names_are_escaped_in_logs(
    hub_server: HubServer, admin_client: HubClient, caplog: pytest.LogCaptureFixture
) -> None:
    """A name stored before the rule (an old settings file) still works, and is shown escaped."""
    caplog.set_level(logging.INFO)
    name = "<img src=x>\nforged"
    await hub_server.hub.config.put_server(name, ServerConfig.model_validate(remote()), create=True)
    r = await admin_client.delete("/api/servers/%3Cimg%20src%3Dx%3E%0Aforged")
    assert r.status_code == 200, r.text
    lines = [rec.getMessage() for rec in caplog.records if "removed by" in rec.getMessage()]
    assert lines == ["Server &lt;img src=x&gt;\\nforged removed by admin"]


async def test_names_echoed_in_messages_are_escaped(admin_client: HubClient) -> None:
    r = await admin_client.post(
        "/api/auth/keys", json={"name": "k", "accessType": "servers", "allowedServers": ["<b>x"]}
    )
    assert r.status_code == 400, r.text
    assert r.json()["message"] == "Unknown server(s): &lt;b&gt;x"
    r = await admin_client.post("/api/groups", json={"name": "g", "servers": ["<i>y"]})
    # The message is text a page may show; the structured list stays data.
    assert r.json()["message"] == "Unknown server(s): &lt;i&gt;y", r.text
