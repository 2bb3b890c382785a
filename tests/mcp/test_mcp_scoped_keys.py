"""A scoped key on a route where it can reach nothing is told so (403, insufficient_scope,
the routes it may use) instead of getting an empty session; routes it may not know exist
still answer 404."""

from __future__ import annotations

from hub.testing import RawMcp
from tests.access_fixtures import Cast


async def test_a_groups_key_on_the_global_route_is_told_where_to_go(cast: Cast) -> None:
    http, gkey = cast["anon"].http, cast["gkey"].headers
    r = await RawMcp(http, "/mcp", gkey).initialize()
    assert r.status_code == 403, r.text
    challenge = r.headers["WWW-Authenticate"]
    assert challenge.startswith('Bearer error="insufficient_scope"'), challenge
    message = r.json()["error"]["message"]
    assert "/mcp/admin-grp" in message, message
    # The legacy SSE route says the same, naming its own routes.
    async with http.stream("GET", "/sse", headers=gkey) as sse:
        assert sse.status_code == 403
        assert "insufficient_scope" in sse.headers["WWW-Authenticate"]
        assert "/sse/admin-grp" in (await sse.aread()).decode()


async def test_routes_the_key_may_use_still_work(cast: Cast) -> None:
    http = cast["anon"].http
    assert (
        await RawMcp(http, "/mcp/admin-grp", cast["gkey"].headers).initialize()
    ).status_code == 200
    assert (await RawMcp(http, "/mcp", cast["skey"].headers).initialize()).status_code == 200
    assert (await RawMcp(http, "/mcp", cast["key"].headers).initialize()).status_code == 200
    # Another user's group stays unknown to the key.
    assert (await RawMcp(http, "/mcp/b-grp", cast["gkey"].headers).initialize()).status_code == 404
