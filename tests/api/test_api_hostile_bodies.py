"""Hostile bodies and bad credentials on ``/api``: the envelope, the right status, no traceback."""

from __future__ import annotations

import logging
import time

import jwt
import pytest

from hub.auth.tokens import issue_token
from hub.server import HubServer
from hub.testing import HubClient

DEEP = b"[" * 100_000
DEEP_OBJECT = b'{"a":' * 50_000
PARSEABLE = b'{"name":"x","config":' + b"[" * 500 + b"]" * 500 + b"}"


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/api/auth/login"),
        ("POST", "/api/servers"),
        ("PUT", "/api/system-config"),
        ("POST", "/api/groups"),
    ],
)
@pytest.mark.parametrize(
    "body", [DEEP, DEEP_OBJECT, PARSEABLE], ids=["array", "object", "parseable"]
)
async def test_deeply_nested_json_is_a_400_without_a_traceback(
    api: HubClient, caplog: pytest.LogCaptureFixture, method: str, path: str, body: bytes
) -> None:
    caplog.set_level(logging.INFO)
    r = await api.request(method, path, content=body, headers={"Content-Type": "application/json"})
    assert r.status_code == 400, r.text
    assert r.json()["success"] is False
    assert r.json()["message"].startswith("Invalid JSON in body of request")
    tracebacks = [r for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR]
    assert tracebacks == []


async def test_deeply_nested_json_unauthenticated_login(hub_server: HubServer) -> None:
    client = HubClient(f"http://{hub_server.address}")
    try:
        r = await client.post("/api/auth/login", content=DEEP)
        assert r.status_code == 400
        assert r.json()["success"] is False
    finally:
        await client.aclose()


async def test_a_tampered_token_is_called_invalid_or_expired(hub_server: HubServer) -> None:
    client = HubClient(f"http://{hub_server.address}")
    good = issue_token(hub_server.hub.jwt_secret, "admin", True, 0)
    head, payload, signature = good.split(".")
    tampered = f"{head}.{payload}.{signature[:-4]}AAAA"
    now = int(time.time())
    claims = {"user": {"username": "admin", "isAdmin": True}, "ver": 0, "exp": now - 10}
    expired = jwt.encode(claims, hub_server.hub.jwt_secret, algorithm="HS256")
    try:
        for token in (tampered, "not.a.token", expired):
            r = await client.get("/api/servers", headers={"x-auth-token": token})
            assert r.status_code == 401
            assert r.json() == {"success": False, "message": "Invalid or expired token"}
        r = await client.get("/api/servers")
        assert r.status_code == 401
        assert r.json()["message"] == "No token, authorization denied"
        r = await client.get("/api/servers", headers={"x-auth-token": good})
        assert r.status_code == 200
    finally:
        await client.aclose()
