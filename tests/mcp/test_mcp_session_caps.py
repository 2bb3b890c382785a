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
    }
