"""Users: register, change-password, admin CRUD, the last-admin and token-version rules."""

from __future__ import annotations

from hub.config.models import ServerConfig
from hub.server import HubServer
from hub.testing import HubClient

STRONG = "Str0ng!pass"


async def client_for(server: HubServer, username: str, password: str) -> HubClient:
    client = HubClient(f"http://{server.address}")
    await client.login(username, password)
    return client


async def test_register_always_makes_a_normal_user(
    hub_server: HubServer, admin_client: HubClient
) -> None:
    r = await admin_client.post(
        "/api/auth/register", json={"username": "carol", "password": STRONG, "isAdmin": True}
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["user"] == {"username": "carol", "isAdmin": False, "permissions": [""]}
    assert hub_server.hub.config.users["carol"].is_admin is False
    me = await admin_client.get("/api/auth/user", token=body["token"])
    assert me.json()["user"]["username"] == "carol"

    again = await admin_client.post(
        "/api/auth/register", json={"username": "carol", "password": STRONG}
    )
    assert again.status_code == 409


async def test_register_needs_a_login_and_a_strong_password(
    hub_client: HubClient, admin_client: HubClient
) -> None:
    anon = await hub_client.post(
        "/api/auth/register", json={"username": "eve", "password": STRONG}, token=None
    )
    assert anon.status_code == 401
    weak = await admin_client.post(
        "/api/auth/register", json={"username": "eve", "password": "password"}
    )
    assert weak.status_code == 400
    assert weak.json()["message"] == "Password does not meet security requirements"
    assert any("digit" in e for e in weak.json()["errors"])
    bad_name = await admin_client.post(
        "/api/auth/register", json={"username": "key:x", "password": STRONG}
    )
    assert bad_name.status_code == 400


async def test_change_password_checks_current_and_ends_old_tokens(
    hub_server: HubServer, admin_client: HubClient
) -> None:
    await admin_client.post("/api/users", json={"username": "dave", "password": STRONG})
    dave = await client_for(hub_server, "dave", STRONG)
    old_token = dave.token
    try:
        wrong = await dave.post(
            "/api/auth/change-password",
            json={"currentPassword": "nope", "newPassword": "N3w!password"},
        )
        assert wrong.status_code == 401
        weak = await dave.post(
            "/api/auth/change-password", json={"currentPassword": STRONG, "newPassword": "short"}
        )
        assert weak.status_code == 400
        assert weak.json()["errors"]

        ok = await dave.post(
            "/api/auth/change-password",
            json={"currentPassword": STRONG, "newPassword": "N3w!password"},
        )
        assert ok.status_code == 200, ok.text
        assert (await dave.get("/api/auth/user", token=old_token)).status_code == 401
        assert (await dave.get("/api/auth/user", token=ok.json()["token"])).status_code == 200
        login = await dave.post(
            "/api/auth/login", json={"username": "dave", "password": STRONG}, token=None
        )
        assert login.status_code == 401
        await dave.login("dave", "N3w!password")
    finally:
        await dave.aclose()


async def test_user_crud_never_shows_hashes(admin_client: HubClient) -> None:
    created = await admin_client.post(
        "/api/users", json={"username": "erin", "password": STRONG, "isAdmin": False}
    )
    assert created.status_code == 201
    assert created.json()["data"] == {"username": "erin", "isAdmin": False}
    dup = await admin_client.post("/api/users", json={"username": "erin", "password": STRONG})
    assert dup.status_code == 409
    weak = await admin_client.post("/api/users", json={"username": "fred", "password": "abc"})
    assert weak.status_code == 400

    listing = await admin_client.get("/api/users")
    assert {u["username"] for u in listing.json()["data"]} == {"admin", "erin"}
    assert all(set(u) == {"username", "isAdmin"} for u in listing.json()["data"])
    assert "$2" not in listing.text

    assert (await admin_client.get("/api/users/erin")).json()["data"]["isAdmin"] is False
    assert (await admin_client.get("/api/users/nobody")).status_code == 404
    assert (await admin_client.put("/api/users/erin", json={})).status_code == 400
    promoted = await admin_client.put("/api/users/erin", json={"isAdmin": True})
    assert promoted.json()["data"] == {"username": "erin", "isAdmin": True}

    stats = await admin_client.get("/api/users-stats")
    assert stats.json()["data"] == {"totalUsers": 2, "adminUsers": 2, "regularUsers": 0}

    assert (await admin_client.delete("/api/users/erin")).status_code == 200
    assert (await admin_client.get("/api/users/erin")).status_code == 404


async def test_last_admin_and_self_are_protected(admin_client: HubClient) -> None:
    demote = await admin_client.put("/api/users/admin", json={"isAdmin": False})
    assert demote.status_code == 400
    assert "last admin" in demote.json()["message"]
    self_delete = await admin_client.delete("/api/users/admin")
    assert self_delete.status_code == 400
    # A second admin exists now, but "admin" owns unowned configs, so it stays an admin.
    await admin_client.post(
        "/api/users", json={"username": "root2", "password": STRONG, "isAdmin": True}
    )
    still = await admin_client.put("/api/users/admin", json={"isAdmin": False})
    assert still.status_code == 400
    assert (await admin_client.get("/api/users/admin")).json()["data"]["isAdmin"] is True


async def test_demotion_password_reset_and_deletion_end_jwts(
    hub_server: HubServer, admin_client: HubClient
) -> None:
    for name in ("gina", "hank", "ivy"):
        r = await admin_client.post(
            "/api/users", json={"username": name, "password": STRONG, "isAdmin": True}
        )
        assert r.status_code == 201
    clients = {n: await client_for(hub_server, n, STRONG) for n in ("gina", "hank", "ivy")}
    try:
        assert (await clients["gina"].get("/api/users")).status_code == 200
        await admin_client.put("/api/users/gina", json={"isAdmin": False})
        await admin_client.put("/api/users/hank", json={"newPassword": "An0ther!pass"})
        await admin_client.delete("/api/users/ivy")
        for client in clients.values():
            assert (await client.get("/api/auth/user")).status_code == 401
        # A fresh login after demotion is a normal user.
        await clients["gina"].login("gina", STRONG)
        assert (await clients["gina"].get("/api/users")).status_code == 403
    finally:
        for client in clients.values():
            await client.aclose()


async def test_deleted_users_things_are_not_inherited_by_registration(
    hub_server: HubServer, admin_client: HubClient
) -> None:
    await admin_client.post("/api/users", json={"username": "olga", "password": STRONG})
    await hub_server.hub.config.put_server(
        "olga-srv",
        ServerConfig(type="sse", url="http://127.0.0.1:9/sse", owner="olga", enabled=False),
        create=True,
    )
    assert (await admin_client.delete("/api/users/olga")).status_code == 200
    again = await admin_client.post(
        "/api/auth/register", json={"username": "olga", "password": STRONG}
    )
    assert again.status_code == 409
    assert "olga" not in hub_server.hub.config.users
    # An admin may restore the user on purpose.
    restored = await admin_client.post("/api/users", json={"username": "olga", "password": STRONG})
    assert restored.status_code == 201
