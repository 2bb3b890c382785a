"""The per-IP limiter: its window, its memory bound, and the 429s of login and change-password."""

from __future__ import annotations

import pytest

import hub.api.auth
from hub.auth.rate_limits import Limit, RateLimiter
from hub.server import HubServer
from hub.testing import HubClient


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_sliding_window() -> None:
    clock = Clock()
    limiter = RateLimiter(Limit(2, 10.0), clock=clock)
    assert limiter.hit("ip") is None
    clock.now += 4
    assert limiter.hit("ip") is None
    wait = limiter.hit("ip")
    assert wait == pytest.approx(6.0)
    assert limiter.hit("other") is None
    clock.now += 6.01
    assert limiter.hit("ip") is None  # the first hit left the window
    assert limiter.hit("ip") == pytest.approx(4.0 - 0.01)


def test_idle_keys_are_swept() -> None:
    clock = Clock()
    limiter = RateLimiter(Limit(1, 1.0), clock=clock)
    limiter.MAX_KEYS = 100
    for i in range(100):
        limiter.add(f"k{i}")
    clock.now += 2
    limiter.add("fresh")
    assert len(limiter._hits) == 1


async def test_login_failures_are_limited_per_ip(
    hub_server: HubServer,
    hub_client: HubClient,
    admin_password: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(hub.api.auth, "LOGIN_FAILURES", Limit(3, 60.0))
    wrong = {"username": "admin", "password": "guess"}
    codes = [(await hub_client.post("/api/auth/login", json=wrong)).status_code for _ in range(3)]
    assert codes == [401, 401, 401]
    r = await hub_client.post(
        "/api/auth/login", json={"username": "admin", "password": admin_password}
    )
    assert r.status_code == 429
    assert 1 <= int(r.headers["Retry-After"]) <= 60
    assert r.json() == {
        "success": False,
        "message": "Too many requests, please try again later",
        "retryAfter": int(r.headers["Retry-After"]),
    }


async def test_successful_logins_are_not_counted(
    hub_client: HubClient, admin_password: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(hub.api.auth, "LOGIN_FAILURES", Limit(2, 60.0))
    for _ in range(3):
        await hub_client.login("admin", admin_password)


async def test_change_password_guesses_share_the_budget(
    admin_client: HubClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(hub.api.auth, "LOGIN_FAILURES", Limit(2, 60.0))
    guess = {"currentPassword": "guess", "newPassword": "N3w!password"}
    codes = [
        (await admin_client.post("/api/auth/change-password", json=guess)).status_code
        for _ in range(3)
    ]
    assert codes == [401, 401, 429]


async def test_forwarded_addresses_are_ignored_without_trust_proxy(
    hub_client: HubClient, admin_password: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without ``TRUST_PROXY`` a client cannot escape its budget by claiming another address."""
    monkeypatch.setattr(hub.api.auth, "LOGIN_FAILURES", Limit(2, 60.0))
    wrong = {"username": "admin", "password": "guess"}
    for i in range(2):
        headers = {"X-Forwarded-For": f"127.0.0.{20 + i}"}
        r = await hub_client.post("/api/auth/login", json=wrong, headers=headers)
        assert r.status_code == 401
    right = {"username": "admin", "password": admin_password}
    r = await hub_client.post(
        "/api/auth/login", json=right, headers={"X-Forwarded-For": "127.0.0.30"}
    )
    assert r.status_code == 429
