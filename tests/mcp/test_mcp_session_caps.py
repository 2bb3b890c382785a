"""One client cannot take every session: caps per principal (each user, each key, each
anonymous address) and in total, 429 + Retry-After to the one who hit it, idle expiry."""

from __future__ import annotations

import time

from hub.testing import RawMcp, wait_for
from tests.access_fixtures import Cast


async def limit(cast: Cast, **sessions: int) -> None:
    r = await cast["admin"].put("/api/system-config", {"sessions": sessions})
    assert r.status_code == 200, r.text


async def test_one_key_cannot_take_everyones_sessions(cast: Cast) -> None:
    await limit(cast, maxPerPrincipal=3, maxTotal=100)
    http = cast["anon"].http
    key, other = cast["key"].headers, cast["skey"].headers
    for _ in range(3):
        assert (await RawMcp(http, "/mcp", key).initialize()).status_code == 200
    r = await RawMcp(http, "/mcp", key).initialize()
    assert r.status_code == 429, r.text
    assert int(r.headers["Retry-After"]) >= 1
    assert "Too many sessions" in r.json()["error"]["message"]
    # Everyone else still gets in: another key, a user.
    assert (await RawMcp(http, "/mcp/admin-srv", other).initialize()).status_code == 200
    assert (await RawMcp(http, "/mcp", cast["A"].headers).initialize()).status_code == 200
    # The legacy SSE transport counts against the same cap.
    async with http.stream("GET", "/sse", headers=key) as sse:
        assert sse.status_code == 429
        assert int(sse.headers["Retry-After"]) >= 1


async def test_a_closed_session_frees_its_place(cast: Cast) -> None:
    await limit(cast, maxPerPrincipal=1)
    http = cast["anon"].http
    first = RawMcp(http, "/mcp", cast["key"].headers)
    assert (await first.initialize()).status_code == 200
    assert (await RawMcp(http, "/mcp", cast["key"].headers).initialize()).status_code == 429
    r = await http.delete(
        "/mcp", headers={**cast["key"].headers, "Mcp-Session-Id": first.session or ""}
    )
    assert r.status_code in (200, 204), r.text
    assert (await RawMcp(http, "/mcp", cast["key"].headers).initialize()).status_code == 200


async def open_anonymous(cast: Cast, forwarded: str) -> int:
    """The status of an anonymous handshake that a proxy forwarded for ``forwarded``."""
    r = await RawMcp(cast["anon"].http, "/mcp", {"X-Forwarded-For": forwarded}).initialize()
    return r.status_code


async def test_anonymous_callers_share_their_address_cap_unless_the_proxy_is_trusted(
    cast: Cast,
) -> None:
    r = await cast["admin"].put("/api/system-config", {"routing": {"enableBearerAuth": False}})
    assert r.status_code == 200, r.text
    await limit(cast, maxPerPrincipal=1)
    # Every request comes from 127.0.0.1: without trust, the header is ignored and two
    # clients behind the proxy share one cap.
    assert await open_anonymous(cast, "10.0.0.1") == 200
    assert await open_anonymous(cast, "10.0.0.2") == 429
    r = await cast["admin"].put("/api/system-config", {"sessions": {"trustProxyHeaders": True}})
    assert r.status_code == 200, r.text
    # Trusted: each forwarded client has its own cap. The last hop counts (the one the
    # proxy appended), not what the client claimed before it.
    assert await open_anonymous(cast, "10.0.0.2") == 200
    assert await open_anonymous(cast, "10.0.0.2") == 429
    assert await open_anonymous(cast, "10.0.0.9, 10.0.0.2") == 429
    assert await open_anonymous(cast, "10.0.0.2, 10.0.0.3") == 200
    # A header that names no address counts as the proxy itself, which holds its session.
    assert await open_anonymous(cast, "not-an-address") == 429
    # The legacy SSE transport counts the same way.
    headers = {"X-Forwarded-For": "10.0.0.3"}
    async with cast["anon"].http.stream("GET", "/sse", headers=headers) as sse:
        assert sse.status_code == 429
    async with cast["anon"].http.stream(
        "GET", "/sse", headers={"X-Forwarded-For": "10.0.0.4"}
    ) as sse:
        assert sse.status_code == 200


async def test_the_total_cap_still_holds(cast: Cast) -> None:
    await limit(cast, maxPerPrincipal=10, maxTotal=2)
    http = cast["anon"].http
    assert (await RawMcp(http, "/mcp", cast["key"].headers).initialize()).status_code == 200
    assert (await RawMcp(http, "/mcp", cast["A"].headers).initialize()).status_code == 200
    r = await RawMcp(http, "/mcp", cast["B"].headers).initialize()
    assert r.status_code == 503, r.text
    assert int(r.headers["Retry-After"]) >= 1


async def test_idle_sessions_expire_after_the_setting(cast: Cast) -> None:
    await limit(cast, idleTimeout=1, maxPerPrincipal=1)
    http = cast["anon"].http
    idle = RawMcp(http, "/mcp", cast["key"].headers)
    assert (await idle.initialize()).status_code == 200
    assert (await idle.call("ping")).status_code == 200
    held = cast.hub.mcp.sessions.by_id[idle.session]
    # Wait without touching the session (every request counts as activity).
    await wait_for(lambda: time.monotonic() - held.last_seen > 1.05, 10, every=0.05)
    assert (await idle.call("ping")).status_code == 404
    # Its place is free again.
    assert (await RawMcp(http, "/mcp", cast["key"].headers).initialize()).status_code == 200


async def test_the_settings_are_validated(cast: Cast) -> None:
    for bad in ({"idleTimeout": 0}, {"maxPerPrincipal": 0}, {"maxTotal": -1}):
        r = await cast["admin"].put("/api/system-config", {"sessions": bad})
        assert r.status_code == 400, r.text
    r = await cast["admin"].get("/api/settings")
    assert r.json()["data"]["systemConfig"]["sessions"] == {
        "maxTotal": 10000,
        "maxPerPrincipal": 100,
        "idleTimeout": 1800,
        "trustProxyHeaders": False,
    }
