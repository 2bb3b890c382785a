"""``/api/registry``: a fake v0.1 registry on 127.0.0.1 behind the hub: pages passed
through with their cursor, search, versions, errors, and installs of packages (argument
lists, never a shell string) and of a remote that ends connected."""

from __future__ import annotations

import urllib.parse
from typing import Any

import pytest

from hub.testing import HubClient
from tests.api_fixtures import wait_server
from tests.catalogs.fakes import FakeService, Seen, data, failure, set_system

META = "io.modelcontextprotocol.registry/official"


def detail(name: str, version: str = "1.0.0", **more: Any) -> dict[str, Any]:
    return {"name": name, "description": f"The {name} server", "version": version, **more}


TOOLBOX = detail(
    "io.github.test/toolbox",
    "2.1.0",
    packages=[
        {
            "registryType": "npm",
            "identifier": "@test/toolbox",
            "version": "2.1.0",
            "transport": {"type": "stdio"},
            "runtimeArguments": [
                {"type": "named", "name": "--registry", "value": "https://npm.example"}
            ],
            "packageArguments": [
                {"type": "positional", "valueHint": "root_dir", "isRequired": True},
                {"type": "named", "name": "--port", "default": "8080"},
            ],
            "environmentVariables": [
                {"name": "TOOLBOX_TOKEN", "isRequired": True, "isSecret": True},
                {"name": "TOOLBOX_MODE", "default": "fast"},
            ],
        },
        {
            "registryType": "pypi",
            "identifier": "test-toolbox",
            "version": "2.1.0",
            "transport": {"type": "stdio"},
            "packageArguments": [{"type": "named", "name": "--root", "valueHint": "root_dir"}],
        },
        {
            "registryType": "oci",
            "identifier": "ghcr.io/test/toolbox",
            "version": "2.1.0",
            "transport": {"type": "stdio"},
            "environmentVariables": [{"name": "TOOLBOX_TOKEN", "isRequired": True}],
        },
        {"registryType": "nuget", "identifier": "Test.Toolbox", "version": "2.1.0"},
    ],
)


def remote_detail() -> dict[str, Any]:
    return detail(
        "io.github.test/remote",
        remotes=[
            {
                "type": "streamable-http",
                "url": "http://127.0.0.1:{port}/mcp",
                "variables": {"port": {"isRequired": True}},
                "headers": [{"name": "X-Trace", "value": "hub-{who}", "variables": {"who": {}}}],
            },
            {"type": "sse", "url": "http://127.0.0.1:{port}/sse"},
        ],
    )


SERVERS = sorted(
    [
        TOOLBOX,
        remote_detail(),
        detail("com.example/alpha"),
        detail("com.example/beta"),
        detail("org.sample/gamma"),
    ],
    key=lambda d: d["name"],
)
VERSIONS = {d["name"]: [d, {**d, "version": "0.9.0"}] for d in SERVERS}


def wrap(server: dict[str, Any], latest: bool = True) -> dict[str, Any]:
    return {"server": server, "_meta": {META: {"status": "active", "isLatest": latest}}}


def registry_routes(fake: FakeService) -> None:
    def servers(seen: Seen) -> tuple[int, Any]:
        found = [s for s in SERVERS if seen.query.get("search", "") in s["name"]]
        if "cursor" in seen.query:
            found = [s for s in found if s["name"] > seen.query["cursor"]]
        limit = int(seen.query.get("limit", "30"))
        page = found[:limit]
        metadata: dict[str, Any] = {"count": len(page)}
        if len(found) > limit:
            metadata["nextCursor"] = page[-1]["name"]
        return 200, {"servers": [wrap(s) for s in page], "metadata": metadata}

    def one(seen: Seen) -> tuple[int, Any]:
        parts = seen.path.split("/")  # /v0.1/servers/<name>/versions[/<version>]
        name = urllib.parse.unquote(parts[3])
        if name not in VERSIONS:
            return 404, {"title": "Not Found", "status": 404, "detail": "Server not found"}
        versions = VERSIONS[name]
        if len(parts) == 5:
            return 200, {
                "servers": [wrap(v, i == 0) for i, v in enumerate(versions)],
                "metadata": {"count": len(versions)},
            }
        wanted = urllib.parse.unquote(parts[5])
        for i, version in enumerate(versions):
            if wanted == version["version"] or (wanted == "latest" and i == 0):
                return 200, wrap(version, i == 0)
        return 404, {"title": "Not Found", "status": 404, "detail": "Version not found"}

    fake.routes["/v0.1/servers"] = servers
    fake.routes["*"] = lambda seen: (
        one(seen)
        if seen.path.startswith("/v0.1/servers/")
        else (
            404,
            {},
        )
    )


@pytest.fixture
async def api(admin_client: HubClient, fake_service: FakeService) -> HubClient:
    registry_routes(fake_service)
    await set_system(admin_client, {"registry": {"baseUrl": f"{fake_service.url}/v0.1"}})
    return admin_client


async def test_pages_pass_through_with_their_cursor(api: HubClient, fake: FakeService) -> None:
    first = data(await api.get("/api/registry/servers", params={"limit": "2"}))
    assert [s["server"]["name"] for s in first["servers"]] == [
        "com.example/alpha",
        "com.example/beta",
    ]
    assert first["metadata"] == {"count": 2, "nextCursor": "com.example/beta"}
    assert first["servers"][0]["_meta"][META]["isLatest"] is True

    names: list[str] = []
    cursor: str | None = None
    while True:
        params = {"limit": "2", **({"cursor": cursor} if cursor else {})}
        page = data(await api.get("/api/registry/servers", params=params))
        names += [s["server"]["name"] for s in page["servers"]]
        cursor = page["metadata"].get("nextCursor")
        if not cursor:
            break
    assert names == [s["name"] for s in SERVERS]

    found = data(await api.get("/api/registry/servers", params={"search": "example"}))
    assert [s["server"]["name"] for s in found["servers"]] == [
        "com.example/alpha",
        "com.example/beta",
    ]
    # limit only when a positive integer; MCPHub's Accept header on every call.
    data(await api.get("/api/registry/servers", params={"limit": "-3"}))
    last = fake.requests_to("/v0.1/servers")[-1]
    assert "limit" not in last.query
    assert last.headers["Accept"] == "application/json, application/problem+json"


@pytest.fixture
def fake(fake_service: FakeService) -> FakeService:
    return fake_service


async def test_versions_and_one_version(api: HubClient, fake: FakeService) -> None:
    name = "io.github.test/toolbox"
    versions = data(await api.get("/api/registry/servers/versions", params={"serverName": name}))
    assert [v["server"]["version"] for v in versions["servers"]] == ["2.1.0", "0.9.0"]
    assert fake.seen[-1].path == "/v0.1/servers/io.github.test%2Ftoolbox/versions"

    params = {"serverName": name, "version": "latest"}
    latest = data(await api.get("/api/registry/servers/version", params=params))
    assert latest["server"]["version"] == "2.1.0" and latest["_meta"][META]["isLatest"]
    params["version"] = "0.9.0"
    old = data(await api.get("/api/registry/servers/version", params=params))
    assert old["server"]["version"] == "0.9.0"

    r = await api.get("/api/registry/servers/versions")
    assert failure(r, 400) == "Server name is required"
    r = await api.get("/api/registry/servers/version", params={"serverName": name})
    assert failure(r, 400) == "Server name and version are required"
    r = await api.get("/api/registry/servers/versions", params={"serverName": "x.y/nope"})
    assert failure(r, 404) == "Server not found"
    r = await api.get("/api/registry/servers/version", params={"serverName": name, "version": "9"})
    assert failure(r, 404) == "Server version not found"


async def test_registry_failures(api: HubClient, fake: FakeService) -> None:
    fake.routes["/v0.1/servers"] = lambda seen: (500, {"detail": "database on fire"})
    r = await api.get("/api/registry/servers")
    assert failure(r, 502) == "The registry answered HTTP 500: database on fire"
    await set_system(api, {"registry": {"baseUrl": "http://127.0.0.1:9/v0.1"}})
    assert failure(await api.get("/api/registry/servers"), 502).startswith("Cannot reach")
    r = await api.get("/api/registry/servers", params={"catalog": "market"})
    assert failure(r, 404) == "No registry catalog 'market' is available"


async def install(api: HubClient, **body: Any) -> Any:
    return await api.post("/api/registry/servers/install", json=body)


async def test_package_installs_are_argument_lists(api: HubClient) -> None:
    name = "io.github.test/toolbox"
    values = {"root_dir": "/srv/my files; rm -rf /", "TOOLBOX_TOKEN": "tok-1"}
    r = await install(api, serverName=name, installation="npm", arguments=values)
    npm = data(r)
    assert npm["name"] == "toolbox"
    config = data(await api.get("/api/servers/toolbox"))["config"]
    assert config["command"] == "npx"
    assert config["args"] == [
        "-y",
        "--registry",
        "https://npm.example",
        "@test/toolbox@2.1.0",
        "/srv/my files; rm -rf /",
        "--port",
        "8080",
    ]
    # The token is masked by its name; a plain setting is shown (masking by name and value).
    assert config["env"] == {"TOOLBOX_TOKEN": "******", "TOOLBOX_MODE": "fast"}
    stored = api_hub_env(api, "toolbox")
    assert stored == {"TOOLBOX_TOKEN": "tok-1", "TOOLBOX_MODE": "fast"}

    r = await install(api, serverName=name, installation="pypi", arguments=values, name="tb-py")
    assert data(r)["config"]["command"] == "uvx"
    assert data(r)["config"]["args"] == ["test-toolbox==2.1.0", "--root", values["root_dir"]]

    r = await install(
        api, serverName=name, installation="oci", version="2.1.0", arguments=values, name="tb-oci"
    )
    assert data(r)["config"]["args"] == [
        "run",
        "-i",
        "--rm",
        "-e",
        "TOOLBOX_TOKEN",
        "ghcr.io/test/toolbox:2.1.0",
    ]

    r = await install(api, serverName=name, installation="npm", arguments={}, name="tb-2")
    assert failure(r, 400) == "Missing required argument(s): TOOLBOX_TOKEN, root_dir"
    r = await install(api, serverName=name, installation="nuget", name="tb-3")
    assert failure(r, 400) == "Packages of type 'nuget' cannot be installed by the hub"
    r = await install(api, serverName=name, installation="remote", name="tb-4")
    assert failure(r, 400) == "This server has no remote to connect to"
    r = await install(api, serverName=name, version="7.0.0", name="tb-5")
    assert failure(r, 404) == "Server version not found"


HUB_ENV: dict[str, Any] = {}


def api_hub_env(api: HubClient, name: str) -> dict[str, Any]:
    """The stored (unmasked) env of a server, read from the hub in this process."""
    return dict(HUB_ENV["hub"].config.servers[name].env or {})


@pytest.fixture(autouse=True)
def remember_hub(hub_server: Any) -> None:
    HUB_ENV["hub"] = hub_server.hub


async def test_remote_install_connects(
    api: HubClient, alice: HubClient, everything_http: str
) -> None:
    port = urllib.parse.urlsplit(everything_http).port
    r = await install(
        api,
        serverName="io.github.test/remote",
        installation="remote",
        arguments={"port": port, "who": "me"},
    )
    installed = data(r)
    assert installed["config"]["type"] == "streamable-http"
    assert installed["config"]["url"] == everything_http
    assert installed["config"]["headers"] == {"X-Trace": "hub-me"}
    summary = await wait_server(api, "remote", "connected")
    assert any(t["name"] == "remote-echo" for t in summary["tools"])

    # Without the required {port}: refused before anything is stored.
    r = await install(api, serverName="io.github.test/remote", name="remote-2")
    assert failure(r, 400) == "Missing required argument(s): port"
    # Normal users install remotes as their own servers; packages need an admin.
    r = await install(
        alice, serverName="io.github.test/remote", arguments={"port": port}, name="mine"
    )
    assert data(r)["config"]["owner"] == "alice"
    values = {"root_dir": "/", "TOOLBOX_TOKEN": "t"}
    r = await install(alice, serverName="io.github.test/toolbox", arguments=values)
    assert failure(r, 403) == "Only admins can create or modify stdio-based servers"
