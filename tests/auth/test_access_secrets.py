"""Tokens, hashes and secrets never appear in an API answer after creation, nor in the logs.

Drives the user, key, group and template routes with real credentials, then greps every
later answer, the hub's log buffer and the raw log records for each secret.
"""

from __future__ import annotations

import logging

import httpx2
import pytest

from hub.config.models import ServerConfig
from hub.logs import LogBuffer
from tests.access_fixtures import Cast

PASSWORD = "Us3r!secret-pw"
NEW_PASSWORD = "N3w!secret-pw"
SUPPLIED = "supplied-key-token-0123456789"
ROTATED = "rotated-key-token-9876543210"
ENV_SECRET = "env-secret-value-42"


async def test_no_secret_in_answers_or_logs(
    cast: Cast,
    log_buffer: LogBuffer,
    admin_password: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    admin, anon = cast["admin"], cast["anon"]
    later: list[httpx2.Response] = []

    async def call(method: str, path: str, json: object = None, **kw: str) -> httpx2.Response:
        actor = cast[kw.get("role", "admin")]
        r = await actor.request(method, path, json)
        later.append(r)
        return r

    # Users: created, registered, logged in, password changed (twice: self and by admin).
    assert (
        await admin.post("/api/users", {"username": "sam", "password": PASSWORD})
    ).status_code == 201
    registered = await admin.post("/api/auth/register", {"username": "kim", "password": PASSWORD})
    jwt_kim = registered.json()["token"]
    login = await anon.post("/api/auth/login", {"username": "sam", "password": PASSWORD})
    jwt_sam = login.json()["token"]
    changed = await admin.post(
        "/api/auth/change-password",
        {"currentPassword": admin_password, "newPassword": NEW_PASSWORD},
    )
    assert changed.status_code == 200
    admin.headers["x-auth-token"] = changed.json()["token"]
    await call("PUT", "/api/users/sam", {"newPassword": NEW_PASSWORD})
    bad = await anon.post("/api/auth/login", {"username": "sam", "password": PASSWORD})
    assert bad.status_code == 401

    # Keys: generated, supplied, rotated, used, and a wrong one tried.
    generated = (await admin.post("/api/auth/keys", {"name": "gen"})).json()["data"]
    supplied = (await admin.post("/api/auth/keys", {"name": "sup", "token": SUPPLIED})).json()[
        "data"
    ]
    # Replacing a token shows the new one once, in that answer only.
    rotated = await admin.put(f"/api/auth/keys/{supplied['id']}", {"token": ROTATED})
    assert rotated.json()["data"]["token"] == ROTATED
    for token in (generated["token"], ROTATED, "wrong-token-wrong-token"):
        await anon.http.get("/api/groups", headers={"Authorization": f"Bearer {token}"})
        await anon.http.get(f"/api/groups?token={token}")

    # Servers with secrets, groups and templates.
    await cast.hub.config.put_server(
        "vault",
        ServerConfig(
            type="sse",
            url="http://127.0.0.1:9/sse",
            env={"API_KEY": ENV_SECRET},
            headers={"Authorization": f"Bearer {ENV_SECRET}"},
            enabled=False,
        ),
        create=True,
    )
    await call("POST", "/api/groups", {"name": "g", "servers": ["vault"]})
    template = await call(
        "POST", "/api/templates/export", {"name": "t", "includeDisabledServers": True}
    )
    await call("GET", "/api/templates/export/groups/g")
    await call("POST", "/api/templates/import", template.json()["data"])

    # Everything readable afterwards, by every caller.
    for role in ("admin", "A", "B", "key"):
        for path in (
            "/api/users",
            "/api/users/sam",
            "/api/users-stats",
            "/api/auth/keys",
            f"/api/auth/keys/{generated['id']}",
            f"/api/auth/keys/{supplied['id']}",
            "/api/auth/user",
            "/api/groups",
            "/api/groups/g",
            "/api/groups/g/server-configs",
        ):
            await call("GET", path, role=role)

    cfg = cast.hub.config
    secrets = {
        "generated key": generated["token"],
        "supplied key": SUPPLIED,
        "rotated key": ROTATED,
        "password": PASSWORD,
        "new password": NEW_PASSWORD,
        "admin password": admin_password,
        "env secret": ENV_SECRET,
        **{f"hash of {u.username}": u.password for u in cfg.users.values() if len(u.password) > 8},
        **{f"key hash {k.name}": k.token_hash or "" for k in cfg.keys.values()},
    }
    tokens = {
        "jwt kim": jwt_kim,
        "jwt sam": jwt_sam,
        **{f"cast {r}": t for r, t in cast.tokens.items()},
    }
    assert all(secrets.values())

    answers = "\n".join(r.text for r in later)
    leaks = [label for label, value in secrets.items() if value in answers]
    assert not leaks, f"secrets in API answers: {leaks}"

    assert len(log_buffer.entries) > 10
    logged = "\n".join(str(e.get("message")) for e in log_buffer.entries)
    # Every record of the process but the test's own HTTP client (which logs its URLs).
    raw = "\n".join(
        r.getMessage() for r in caplog.records if not r.name.startswith(("httpx2", "httpcore"))
    )
    for text, where in ((logged, "log buffer"), (raw, "log records")):
        found = [label for label, v in {**secrets, **tokens}.items() if v in text]
        assert not found, f"secrets in {where}: {found}"
    # The log does say what happened, just not with the secrets.
    assert "Bearer key" in logged and "created" in logged
