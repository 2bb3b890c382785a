"""One authorization decision point: ``permission_allowed`` decides for /api, the REST tool
routes and every MCP route; a plugin can refuse what the core rules allow and allow what
they refuse, and the core's own refusals keep their exact shape."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx2
import pytest

from hub import hookimpl
from hub.plugin_api import Action, Principal, Resource
from hub.server import HubServer
from hub.testing import RawMcp, reply
from tests.mcp_fixtures import bearer, connected_http, http_server

ALL_KEY = "key-all-0123456789abcdef"
EV_KEY = "key-ev-0123456789abcdef"

Rule = Callable[[Principal | None, str, Resource], bool | None]


@pytest.fixture
def hub_settings(everything: Any) -> dict[str, Any]:
    return {
        "mcpServers": {"ev": http_server(everything.url), "ev2": http_server(everything.url)},
        "bearerKeys": [
            {"id": "k1", "name": "all", "token": ALL_KEY, "accessType": "all"},
            {
                "id": "k2",
                "name": "ev",
                "token": EV_KEY,
                "accessType": "servers",
                "allowedServers": ["ev"],
            },
        ],
    }


class Judge:
    """Records every question; answers with ``rule`` (None: no opinion, the defaults decide)."""

    def __init__(self) -> None:
        self.asked: list[tuple[str, str, str]] = []
        self.rule: Rule = lambda principal, action, resource: None

    @hookimpl
    async def permission_allowed(
        self, principal: Principal | None, action: str, resource: Resource
    ) -> bool | None:
        self.asked.append((action, resource.kind, resource.name))
        return self.rule(principal, action, resource)


@pytest.fixture
def judge(register_plugin: Any) -> Judge:
    judge = Judge()
    register_plugin(judge, name="judge")
    return judge


@pytest.fixture
async def http(judge: Judge, hub_server: HubServer) -> AsyncIterator[httpx2.AsyncClient]:
    async with connected_http(hub_server, "ev", "ev2") as client:
        yield client


async def test_every_route_family_asks_the_one_hook(http: httpx2.AsyncClient, judge: Judge) -> None:
    assert (await http.get("/api/servers", headers=bearer(ALL_KEY))).status_code == 200
    assert (await http.get("/api/openapi/servers", headers=bearer(EV_KEY))).status_code == 200
    assert (await http.get("/api/ev/openapi.json", headers=bearer(EV_KEY))).status_code == 200
    assert (await RawMcp(http, "/mcp/ev", bearer(EV_KEY)).initialize()).status_code == 200
    assert (await http.get("/health")).status_code == 200
    assert ("use-api", "api", "/api/servers") in judge.asked
    assert ("use-tools", "api", "/api/openapi/servers") in judge.asked
    assert ("reach-server", "server", "ev") in judge.asked
    assert ("use-mcp", "mcp", "/mcp/ev") in judge.asked
    assert ("use-api", "api", "/health") in judge.asked, "public routes are asked too"


async def test_a_plugin_refuses_what_the_defaults_allow(
    http: httpx2.AsyncClient, judge: Judge
) -> None:
    judge.rule = lambda principal, action, resource: (
        False if resource.name in ("/api/servers", "ev", "/api/openapi/stats") else None
    )
    admin = bearer(ALL_KEY)
    # /api: the all-access key may list servers, but not now; other routes are untouched.
    r = await http.get("/api/servers", headers=admin)
    assert r.status_code == 403
    assert r.json() == {"success": False, "message": "Permission denied"}
    assert (await http.get("/api/groups", headers=admin)).status_code == 200
    # The REST tool routes.
    r = await http.get("/api/openapi/stats", headers=admin)
    assert (r.status_code, r.json()["message"]) == (403, "Permission denied")
    assert (await http.get("/api/ev/openapi.json", headers=admin)).status_code == 404
    assert (await http.get("/api/ev2/openapi.json", headers=admin)).status_code == 200
    # MCP: the server route is as missing as an unknown name; its sibling still works.
    r = await RawMcp(http, "/mcp/ev", admin).initialize()
    assert r.status_code == 404
    assert r.json()["error"] == {"code": -32600, "message": "Group or server not found"}
    assert (await RawMcp(http, "/mcp/ev2", admin).initialize()).status_code == 200

    judge.rule = lambda principal, action, resource: False if action == Action.USE_MCP else None
    r = await RawMcp(http, "/mcp", admin).initialize()
    assert r.status_code == 403
    assert r.json()["error"]["message"] == "Permission denied"


async def test_a_plugin_allows_what_the_defaults_refuse(
    http: httpx2.AsyncClient, judge: Judge
) -> None:
    scoped = bearer(EV_KEY)
    # Without an opinion the core rules stand: scoped keys do not drive the management API,
    # and MCP wants credentials.
    assert (await http.get("/api/servers", headers=scoped)).status_code == 401
    anonymous = await RawMcp(http, "/mcp").initialize()
    assert anonymous.status_code == 401 and "WWW-Authenticate" in anonymous.headers
    assert (await RawMcp(http, "/mcp/ev2", scoped).initialize()).status_code == 404

    def lenient(principal: Principal | None, action: str, resource: Resource) -> bool | None:
        if action == Action.USE_API and resource.name == "/api/servers":
            return principal is not None and principal.kind == "key"
        if action == Action.USE_MCP and principal is None:
            return True
        if action == Action.REACH_SERVER and resource.name == "ev2":
            return True
        return None

    judge.rule = lenient
    r = await http.get("/api/servers", headers=scoped)
    assert r.status_code == 200 and r.json()["success"] is True
    mcp = RawMcp(http, "/mcp")
    assert (await mcp.initialize()).status_code == 200
    tools = reply(await mcp.call("tools/list"))["result"]["tools"]
    assert "ev-echo" in {t["name"] for t in tools}
    assert (await RawMcp(http, "/mcp/ev2", scoped).initialize()).status_code == 200


async def test_core_refusals_keep_their_shape(http: httpx2.AsyncClient, judge: Judge) -> None:
    """With the plugin silent, refusals are the core's own, to the byte."""
    r = await RawMcp(http, "/mcp", bearer("not-a-key")).initialize()
    assert r.status_code == 401
    assert r.json()["error_description"] == "Invalid bearer token"
    assert r.headers["WWW-Authenticate"].startswith(
        'Bearer error="invalid_token", error_description="Invalid bearer token", '
        'resource_metadata="http://'
    )
    r = await RawMcp(http, "/admin/mcp", bearer(ALL_KEY)).initialize()
    assert r.status_code == 401
    assert r.json()["error_description"] == "Authentication is required for user-scoped routes"
    r = await http.get("/api/users", headers=bearer(EV_KEY))
    assert r.content == b'{"success":false,"message":"No token, authorization denied"}'
    assert judge.asked, "the plugin was asked each time"
