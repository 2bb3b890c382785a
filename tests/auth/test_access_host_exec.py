"""A bearer key is not a shell: configs that run programs on the host need an admin's login
session or a key explicitly marked ``allowHostExecution``; all-access keys drive the rest.

Each attempt asks the hub to run ``touch <marker>``; the admin's and the marked key's
identical requests are the controls that prove a marker would have appeared.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hub.testing import wait_for
from tests.access_fixtures import Actor, Cast


def touch(marker: Path, **extra: Any) -> dict[str, Any]:
    return {"command": "touch", "args": [str(marker)], **extra}


async def spawns(actor: Actor, name: str, marker: Path) -> None:
    r = await actor.post("/api/servers", {"name": name, "config": touch(marker)})
    assert r.status_code in (200, 201), r.text
    try:
        await wait_for(marker.exists, 5, every=0.05)
    except AssertionError:
        raise AssertionError(
            f"{actor.name}'s control never ran: this test proves nothing"
        ) from None


async def test_an_all_access_key_cannot_run_programs(cast: Cast, tmp_path: Path) -> None:
    key = cast["key"]
    hub = cast.hub
    m = [tmp_path / f"m{i}" for i in range(8)]
    # A disabled stdio server an admin made, for the change and enable attempts.
    r = await cast["admin"].post(
        "/api/servers", {"name": "tool", "config": touch(m[0], enabled=False)}
    )
    assert r.status_code == 200, r.text
    attempts: list[tuple[str, str, Any, int]] = [
        ("POST", "/api/servers", {"name": "k1", "config": touch(m[1])}, 403),
        ("POST", "/api/servers", {"name": "k2", "config": touch(m[2], type="stdio")}, 403),
        ("PUT", "/api/servers/tool", {"config": touch(m[3], enabled=False)}, 403),
        ("PUT", "/api/servers/admin-srv", {"config": touch(m[4])}, 403),
        ("POST", "/api/servers/tool/toggle", {"enabled": True}, 403),
    ]
    for method, path, body, status in attempts:
        r = await key.request(method, path, body)
        assert r.status_code == status, (path, r.text)
        message = r.json()["message"]
        assert "login" in message and "allowHostExecution" in message, message
    r = await key.post("/api/servers/batch", {"servers": [{"name": "k5", "config": touch(m[5])}]})
    assert r.json()["success"] is False, r.text
    assert "allowHostExecution" in r.text
    r = await key.post("/api/templates/import", {"servers": {"k6": touch(m[6])}})
    assert "allowHostExecution" in r.text, r.text
    # Settings, install settings included, stay an admin login's business.
    r = await key.put("/api/system-config", {"install": {"npmRegistry": "http://127.0.0.1:9/"}})
    assert r.status_code in (401, 403), r.text

    # The key still drives the rest of the API.
    remote = {"type": "sse", "url": "http://127.0.0.1:9/sse", "enabled": False}
    r = await key.post("/api/servers", {"name": "remote", "config": remote})
    assert r.status_code == 200, r.text
    r = await key.post("/api/servers/remote/toggle", {"enabled": False})
    assert r.status_code == 200, r.text

    await spawns(cast["admin"], "ctl", m[7])
    assert not any(name.startswith("k") for name in hub.config.servers)
    assert hub.config.servers["tool"].args == [str(m[0])]
    assert hub.config.servers["tool"].enabled is False
    assert hub.config.servers["admin-srv"].command is None
    assert [p.name for p in m[:7] if p.exists()] == []


async def test_a_key_marked_for_it_may(cast: Cast, tmp_path: Path) -> None:
    r = await cast["admin"].post(
        "/api/auth/keys", {"name": "deploy", "accessType": "all", "allowHostExecution": True}
    )
    assert r.status_code == 201, r.text
    assert r.json()["data"]["allowHostExecution"] is True
    marked = Actor(
        "marked", cast["anon"].http, {"Authorization": f"Bearer {r.json()['data']['token']}"}
    )
    await spawns(marked, "deployed", tmp_path / "marked")
    r = await cast["admin"].get("/api/auth/keys")
    flags = {k["name"]: k["allowHostExecution"] for k in r.json()["data"]}
    assert flags["deploy"] is True and flags["key"] is False


async def test_a_scoped_key_marked_for_it_still_may_not(cast: Cast, tmp_path: Path) -> None:
    """The mark widens an all-access key only; a scoped key has no API at all."""
    r = await cast["admin"].post(
        "/api/auth/keys",
        {
            "name": "odd",
            "accessType": "servers",
            "allowedServers": ["admin-srv"],
            "allowHostExecution": True,
        },
    )
    assert r.status_code == 201, r.text
    odd = Actor("odd", cast["anon"].http, {"Authorization": f"Bearer {r.json()['data']['token']}"})
    r = await odd.post("/api/servers", {"name": "odd1", "config": touch(tmp_path / "odd")})
    assert r.status_code in (401, 403), r.text
