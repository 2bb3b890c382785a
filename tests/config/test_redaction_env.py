"""Env values are masked like headers: by a secret-looking name or a token-looking value."""

from __future__ import annotations

import pytest

from hub.config.redaction import MASK, looks_like_token, mask_server, restore
from hub.server import HubServer
from hub.testing import HubClient

ENV = {
    "LOG_LEVEL": "debug",
    "PORT": "8080",
    "HOME_DIR": "/home/someone/projects/very-long-path-2024",
    "FROM_HUB": "${SOME_VAR}",
    "OPENAI_API_KEY": "short",
    "GITHUB_PERSONAL_ACCESS_TOKEN": "ghp_abcdefghijklmnopqrstuvwxyz0123456789",
    "UPSTREAM": "ghp_R2d2C3poR2d2C3poR2d2C3poR2d2C3po1234",
    "RANDOM": "x8Kq2Lm9Zt4Vb7Nw1Ry6Pd3s",
    "DATABASE": "postgres://app:hunter2hunter2@db.internal/app",
}
SHOWN = {
    "LOG_LEVEL": "debug",
    "PORT": "8080",
    "HOME_DIR": "/home/someone/projects/very-long-path-2024",
    "FROM_HUB": "${SOME_VAR}",
    "OPENAI_API_KEY": MASK,
    "GITHUB_PERSONAL_ACCESS_TOKEN": MASK,
    "UPSTREAM": MASK,
    "RANDOM": MASK,
    "DATABASE": f"postgres://app:{MASK}@db.internal/app",
}


def test_env_values_masked_by_name_or_value() -> None:
    masked = mask_server({"command": "tool", "env": ENV})
    assert masked["env"] == SHOWN


def test_headers_follow_the_same_rule() -> None:
    headers = {"X-Org": "acme", "X-Custom": "sk-proj-abcdefghijklmnop", "Authorization": "x"}
    masked = mask_server({"url": "http://127.0.0.1:9/mcp", "headers": headers})
    assert masked["headers"] == {"X-Org": "acme", "X-Custom": MASK, "Authorization": MASK}


@pytest.mark.parametrize(
    ("value", "secret"),
    [
        ("debug", False),
        ("production", False),
        ("my_really_long_variable_name", False),
        ("/usr/local/lib/python3.11/site-packages", False),
        ("2f1c3b9e-4d6a-4b8e-9c2d-7a5e3f1b0c9d", True),
        ("AKIAIOSFODNN7EXAMPLE", True),
        ("eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig", True),
    ],
)
def test_token_shapes(value: str, secret: bool) -> None:
    assert looks_like_token(value) is secret


def test_restore_puts_back_only_masked_values() -> None:
    stored = {"command": "tool", "env": ENV}
    sent = mask_server(stored)
    sent["env"]["LOG_LEVEL"] = "info"
    restored = restore(sent, stored)
    assert restored["env"] == {**ENV, "LOG_LEVEL": "info"}


async def test_admin_reads_plain_values_and_write_back_keeps_secrets(
    hub_server: HubServer, admin_client: HubClient
) -> None:
    config = {"command": "true", "env": ENV, "enabled": False}
    r = await admin_client.post("/api/servers", json={"name": "tool", "config": config})
    assert r.status_code == 200, r.text
    r = await admin_client.get("/api/servers/tool")
    shown = r.json()["data"]["config"]["env"]
    assert shown == SHOWN
    shown["LOG_LEVEL"] = "info"
    back = {**r.json()["data"]["config"], "env": shown}
    r = await admin_client.put("/api/servers/tool", json={"config": back})
    assert r.status_code == 200, r.text
    assert hub_server.hub.config.servers["tool"].env == {**ENV, "LOG_LEVEL": "info"}
