"""The API base: envelope, error paths, body limits, credentials in every accepted place."""

from __future__ import annotations

import pytest

from hub.auth.passwords import hash_password
from hub.auth.tokens import issue_token
from hub.config.models import User
from hub.server import HubServer
from hub.testing import HubClient


async def test_health_is_public_and_counts_servers(hub_client: HubClient) -> None:
    r = await hub_client.get("/health", token=None)
    assert r.status_code == 200
    body = r.json()
    assert body["status"] == "healthy"
    assert body["servers"] == {"total": 0, "connected": 0, "disconnected": 0}


async def test_unknown_api_route_is_json_404(admin_client: HubClient) -> None:
    r = await admin_client.get("/api/definitely/not/here")
    assert r.status_code == 404
    assert r.headers["content-type"].startswith("application/json")
    assert r.json()["success"] is False
    assert "not found" in r.json()["message"].lower()


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        (b"{not json", "Invalid JSON"),
        (b"[1, 2]", "JSON object"),
        (b"", "must be JSON"),
        (b'{"username": 5, "password": "x"}', "username"),
        (b'{"username": "admin"}', "password"),
        (b"\xff\xfe", "Invalid JSON"),
    ],
)
async def test_malformed_bodies_get_400(
    hub_client: HubClient, content: bytes, fragment: str
) -> None:
    r = await hub_client.post("/api/auth/login", content=content, token=None)
    assert r.status_code == 400
    body = r.json()
    assert body["success"] is False
    assert fragment in body["message"]


async def test_body_over_the_configured_limit_gets_413(
    hub_server: HubServer, hub_client: HubClient
) -> None:
    live = hub_server.hub.config
    routing = live.system.routing.model_copy(update={"json_body_limit": "1kb"})
    await live.put_system(live.system.model_copy(update={"routing": routing}))
    big = b'{"username": "admin", "password": "' + b"x" * 2000 + b'"}'
    r = await hub_client.post("/api/auth/login", content=big, token=None)
    assert r.status_code == 413
    assert r.json() == {"success": False, "message": "Request body exceeds 1024 bytes"}
    small = await hub_client.post(
        "/api/auth/login", json={"username": "admin", "password": "nope"}, token=None
    )
    assert small.status_code == 401


async def test_token_accepted_in_header_query_and_bearer(
    hub_client: HubClient, admin_password: str
) -> None:
    token = await hub_client.login("admin", admin_password)
    for kwargs in (
        {"headers": {"x-auth-token": token}},
        {"params": {"token": token}},
        {"headers": {"Authorization": f"Bearer {token}"}},
    ):
        r = await hub_client.get("/api/auth/user", token=None, **kwargs)
        assert r.status_code == 200, kwargs
        assert r.json()["user"] == {"username": "admin", "isAdmin": True, "permissions": ["*", "x"]}


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"x-auth-token": "garbage"},
        {"x-auth-token": "a.b.c"},
        {"Authorization": "Bearer not-a-key"},
    ],
)
async def test_missing_or_bad_credentials_get_401(
    hub_client: HubClient, headers: dict[str, str]
) -> None:
    r = await hub_client.get("/api/auth/user", headers=headers, token=None)
    assert r.status_code == 401
    message = "Invalid or expired token" if headers else "No token, authorization denied"
    assert r.json() == {"success": False, "message": message}


async def test_token_signed_with_another_secret_or_expired_is_refused(
    hub_server: HubServer, hub_client: HubClient
) -> None:
    forged = issue_token("not-the-secret-" + "x" * 40, "admin", True, 0)
    r = await hub_client.get("/api/auth/user", token=forged)
    assert r.status_code == 401
    import jwt

    expired = jwt.encode(
        {"user": {"username": "admin", "isAdmin": True}, "ver": 0, "exp": 1},
        hub_server.hub.jwt_secret,
        algorithm="HS256",
    )
    assert (await hub_client.get("/api/auth/user", token=expired)).status_code == 401


async def test_token_dies_with_its_user_and_with_a_version_bump(
    hub_server: HubServer, hub_client: HubClient
) -> None:
    live = hub_server.hub.config
    await live.put_user(User(username="bob", password=await hash_password("Bob-pass-1!")))
    token = await hub_client.login("bob", "Bob-pass-1!")
    assert (await hub_client.get("/api/auth/user")).status_code == 200
    await live.put_user(live.users["bob"].model_copy(update={"token_version": 1}))
    assert (await hub_client.get("/api/auth/user", token=token)).status_code == 401
    token = await hub_client.login("bob", "Bob-pass-1!")
    await live.delete_user("bob")
    assert (await hub_client.get("/api/auth/user", token=token)).status_code == 401


async def test_non_admin_gets_403_on_admin_routes(
    hub_server: HubServer, hub_client: HubClient
) -> None:
    await hub_server.hub.config.put_user(
        User(username="carol", password=await hash_password("Carol-pass-1!"))
    )
    await hub_client.login("carol", "Carol-pass-1!")
    r = await hub_client.get("/api/plugins")
    assert r.status_code == 403
    assert r.json() == {"success": False, "message": "Admin privileges required"}
    me = await hub_client.get("/api/auth/user")
    assert me.json()["user"] == {"username": "carol", "isAdmin": False, "permissions": [""]}


async def test_login_same_answer_for_unknown_user_and_wrong_password(
    hub_client: HubClient,
) -> None:
    a = await hub_client.post(
        "/api/auth/login", json={"username": "ghost", "password": "x"}, token=None
    )
    b = await hub_client.post(
        "/api/auth/login", json={"username": "admin", "password": "x"}, token=None
    )
    assert a.status_code == b.status_code == 401
    assert a.json() == b.json()
