"""Server services: who may write which config, and renames and deletions that follow the
server into groups, bearer keys and override keys."""

from __future__ import annotations

from pathlib import Path

import pytest
from service_helpers import ADMIN, ALICE, remote

from hub.app import Hub
from hub.config.models import GroupServer, ItemOverride, ServerConfig
from hub.errors import Conflict, Forbidden, NotFound
from hub.services import groups, keys, server_items, servers
from hub.services.groups import NewGroup
from hub.services.keys import NewKey


async def test_only_admins_create_process_spawning_servers(hub: Hub, tmp_path: Path) -> None:
    marker = tmp_path / "spawned"
    stdio = ServerConfig(command="touch", args=[str(marker)])
    with pytest.raises(Forbidden):
        await servers.create_server(hub, ALICE, "mine", stdio)
    assert "mine" not in hub.config.servers
    # A remote server is fine, but the user cannot hand it to someone else.
    await servers.create_server(hub, ALICE, "mine", remote(owner="admin"))
    assert hub.config.servers["mine"].owner == "alice"
    # Nor turn it into a stdio server afterwards.
    with pytest.raises(Forbidden):
        await servers.update_server(hub, ALICE, "mine", stdio)
    assert hub.config.servers["mine"].command is None and not marker.exists()


async def test_users_cannot_reach_servers_they_do_not_own(hub: Hub) -> None:
    await servers.create_server(hub, ADMIN, "adm", remote())
    for attempt in (
        servers.delete_server(hub, ALICE, "adm"),
        servers.toggle_server(hub, ALICE, "adm", True),
        servers.update_server(hub, ALICE, "adm", remote(), "taken"),
    ):
        with pytest.raises(NotFound):
            await attempt
    assert "adm" in hub.config.servers and "taken" not in hub.config.servers
    assert not hub.config.servers["adm"].enabled


async def test_names_are_unique_across_servers_and_groups(hub: Hub) -> None:
    await groups.create_group(hub, ADMIN, NewGroup(name="team"))
    with pytest.raises(Conflict):
        await servers.create_server(hub, ADMIN, "team", remote())
    await servers.create_server(hub, ADMIN, "one", remote())
    with pytest.raises(Conflict):
        await servers.update_server(hub, ADMIN, "one", remote(), "team")
    results = await servers.create_servers(
        hub, ADMIN, [{"name": "two", "config": remote().wire()}, {"name": "two"}, "junk"]
    )
    assert [r["success"] for r in results] == [True, False, False]


async def test_rename_and_delete_follow_the_server_everywhere(hub: Hub) -> None:
    sep = hub.config.system.name_separator
    hidden = {f"s1{sep}echo": ItemOverride(enabled=False)}
    await servers.create_server(hub, ADMIN, "s1", remote(tools=hidden))
    group = await groups.create_group(
        hub, ADMIN, NewGroup(name="team", servers=[GroupServer(name="s1")])
    )
    key, _ = await keys.create_key(
        hub, ADMIN, NewKey(name="k", access_type="servers", allowed_servers=["s1"])
    )

    # The update body leaves the overrides out: they are kept, under the new name.
    assert await servers.update_server(hub, ADMIN, "s1", remote(), "s2") == "s2"
    live = hub.config
    assert "s1" not in live.servers
    assert set(live.servers["s2"].tools or {}) == {f"s2{sep}echo"}
    assert [m.name for m in live.groups[group.id].servers] == ["s2"]
    assert live.keys[key.id].allowed_servers == ["s2"]

    # A deleted name must not linger: a later server called s2 would inherit the access.
    await servers.delete_server(hub, ADMIN, "s2")
    assert live.groups[group.id].servers == []
    assert live.keys[key.id].allowed_servers == []


async def test_item_overrides_without_a_connected_upstream(hub: Hub) -> None:
    sep = hub.config.system.name_separator
    name = f"s{sep}echo"
    await servers.create_server(hub, ADMIN, "s", remote(tools={name: ItemOverride(enabled=False)}))
    with pytest.raises(NotFound):
        await server_items.set_item_enabled(hub, ADMIN, "s", "tools", f"s{sep}nope", True)
    changed = await server_items.set_item_description(hub, ADMIN, "s", "tools", name, "Echo!")
    assert changed.description == "Echo!" and changed.override.enabled is False
    # Resetting the description keeps the tool hidden.
    reset = await server_items.reset_item_description(hub, ADMIN, "s", "tools", name)
    assert reset.override == ItemOverride(enabled=False)
    assert (hub.config.servers["s"].tools or {})[name] == ItemOverride(enabled=False)
