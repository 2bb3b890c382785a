"""``TRUST_PROXY=true``: the login limiter counts per forwarded client address."""

from __future__ import annotations

import pytest

import hub.api.auth
from hub.auth.rate_limits import Limit
from hub.testing import HubClient, HubOptions


@pytest.fixture
def hub_options(hub_options: HubOptions, monkeypatch: pytest.MonkeyPatch) -> HubOptions:
    monkeypatch.setenv("TRUST_PROXY", "true")
    return hub_options


async def test_each_forwarded_client_has_its_own_login_budget(
    hub_client: HubClient, admin_password: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(hub.api.auth, "LOGIN_FAILURES", Limit(2, 60.0))
    wrong = {"username": "admin", "password": "guess"}
    right = {"username": "admin", "password": admin_password}
    first = {"X-Forwarded-For": "127.0.0.9"}
    for _ in range(2):
        r = await hub_client.post("/api/auth/login", json=wrong, headers=first)
        assert r.status_code == 401
    r = await hub_client.post("/api/auth/login", json=right, headers=first)
    assert r.status_code == 429  # that client is locked out
    other = {"X-Forwarded-For": "127.0.0.10"}
    r = await hub_client.post("/api/auth/login", json=right, headers=other)
    assert r.status_code == 200  # another client behind the same proxy is not
