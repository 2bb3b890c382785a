"""User and key services: the last admin, tokens that end, keys that cannot mint keys."""

from __future__ import annotations

import pytest
from service_helpers import ADMIN, ALICE, ALL_KEY, STRONG, remote

from hub.app import Hub
from hub.auth.principal import Principal
from hub.errors import BadRequest, Conflict, Forbidden, Unauthorized
from hub.services import keys, servers, users
from hub.services.keys import KeyUpdate, NewKey


async def test_the_last_admin_stays(hub: Hub) -> None:
    other = Principal(name="ops", is_admin=True)  # an admin login whose user is not stored
    with pytest.raises(BadRequest, match="last admin"):
        await users.delete_user(hub, other, "admin")
    with pytest.raises(BadRequest, match="last admin"):
        await users.update_user(hub, other, "admin", is_admin=False)
    with pytest.raises(BadRequest, match="your own account"):
        await users.delete_user(hub, ADMIN, "admin")
    # With a second admin the first may go.
    await users.create_user(hub, ADMIN, "root2", STRONG, is_admin=True)
    await users.delete_user(hub, Principal(name="root2", is_admin=True), "admin")
    assert set(hub.config.users) == {"root2"}


async def test_keys_and_normal_users_cannot_manage_accounts(hub: Hub) -> None:
    for who in (ALL_KEY, ALICE):
        with pytest.raises(Forbidden):
            await users.create_user(hub, who, "mallory", STRONG, is_admin=True)
        with pytest.raises(Forbidden):
            await keys.create_key(hub, who, NewKey(name="more"))
    assert "mallory" not in hub.config.users and not hub.config.keys


async def test_password_change_ends_earlier_tokens(hub: Hub) -> None:
    await users.create_user(hub, ADMIN, "bob", STRONG)
    bob = Principal(name="bob", is_admin=False)
    with pytest.raises(Unauthorized):
        await users.change_password(hub, bob, "wrong-password", "N3w!password")
    with pytest.raises(BadRequest):
        await users.change_password(hub, bob, STRONG, "weak")
    assert hub.config.users["bob"].token_version == 0
    token = await users.change_password(hub, bob, STRONG, "N3w!password")
    assert token and hub.config.users["bob"].token_version == 1
    with pytest.raises(Forbidden):  # a key acts for no user and has no password
        await users.change_password(hub, ALL_KEY, STRONG, "N3w!password")


async def test_a_deleted_users_name_cannot_be_registered_again(hub: Hub) -> None:
    # carol is gone, but her server still names her as owner.
    await servers.create_server(hub, ADMIN, "carols", remote(owner="carol"))
    bob = Principal(name="bob", is_admin=False)
    with pytest.raises(Conflict):
        await users.register_user(hub, bob, "carol", STRONG)
    user, token = await users.register_user(hub, bob, "dave", STRONG)
    assert not user.is_admin and token


async def test_key_scope_and_token_rules(hub: Hub) -> None:
    with pytest.raises(BadRequest, match="Unknown server"):
        await keys.create_key(hub, ADMIN, NewKey(name="k", allowed_servers=["ghost"]))
    key, token = await keys.create_key(hub, ADMIN, NewKey(name="k"))
    assert token not in key.wire().values()  # only the hash and a hint are kept
    with pytest.raises(Conflict):
        await keys.create_key(hub, ADMIN, NewKey(name="k2", token=token))
    with pytest.raises(BadRequest, match="Nothing to update"):
        await keys.update_key(hub, ADMIN, key.id, KeyUpdate())
