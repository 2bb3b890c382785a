"""``POST /api/mcpb/upload``: bundles built here (a tiny Python stdio server inside) are
unpacked, checked and registered as a connected stdio server; every refusal leaves
nothing on disk and creates no server."""

from __future__ import annotations

import io
import json
import stat
import sys
import zipfile
from pathlib import Path
from typing import Any

import httpx2
import pytest

from hub.config.models import BearerKey
from hub.server import HubServer
from hub.testing import HubClient, McpSession
from tests.access_fixtures import add_user
from tests.api_fixtures import wait_server
from tests.catalogs.fakes import data, failure, set_system

ROOT = Path(__file__).resolve().parents[2]
TINY_SOURCE = (ROOT / "bench" / "tiny_stdio.py").read_bytes()


def manifest(**changes: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "manifest_version": "0.3",
        "name": "tiny-bundle",
        "version": "1.0.0",
        "description": "A tiny stdio server in a bundle",
        "author": {"name": "Test Author"},
        "server": {
            "type": "python",
            "entry_point": "server/main.py",
            "mcp_config": {
                "command": sys.executable,
                "args": ["${__dirname}/server/main.py", "${user_config.label}"],
                "env": {"API_TOKEN": "${user_config.token}", "HOME_DIR": "${__dirname}"},
                "platform_overrides": {
                    "linux": {"env": {"ON_LINUX": "yes"}},
                    "win32": {"command": "python.exe"},
                },
            },
        },
        "user_config": {
            "label": {"type": "string", "title": "Label", "default": "bundled"},
            "token": {"type": "string", "title": "Token", "sensitive": True, "required": True},
        },
    }
    doc.update(changes)
    return doc


def bundle(doc: Any = None, extra: dict[str, bytes] | None = None) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        if doc is not None:
            text = doc if isinstance(doc, str) else json.dumps(doc)
            archive.writestr("manifest.json", text)
        archive.writestr("server/main.py", TINY_SOURCE)
        for name, content in (extra or {}).items():
            archive.writestr(name, content)
    return out.getvalue()


def with_entry(info: zipfile.ZipInfo, content: bytes = b"x") -> bytes:
    """A valid bundle plus one hand-made entry (symlink, device, traversal …)."""
    out = io.BytesIO(bundle(manifest()))
    with zipfile.ZipFile(out, "a") as archive:
        archive.writestr(info, content)
    return out.getvalue()


def special(name: str, mode: int) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name)
    info.create_system = 3  # unix, so external_attr carries the mode
    info.external_attr = mode << 16
    return info


async def upload(
    client: HubClient,
    content: bytes,
    filename: str = "tiny.mcpb",
    user_config: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
    **fields: str,
) -> httpx2.Response:
    form = dict(fields)
    if user_config is not None:
        form["userConfig"] = json.dumps(user_config)
    sent = headers if headers is not None else {"x-auth-token": client.token or ""}
    return await client.http.post(
        "/api/mcpb/upload",
        files={"mcpbFile": (filename, content, "application/octet-stream")},
        data=form,
        headers=sent,
    )


def exists(path: Path | str) -> bool:
    return Path(path).exists()


def bundles_dir(server: HubServer) -> Path:
    return Path(server.hub.options.data_dir).resolve() / "mcpb"


def left_on_disk(server: HubServer) -> list[str]:
    folder = bundles_dir(server)
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


@pytest.fixture
async def api(admin_client: HubClient) -> HubClient:
    return admin_client


async def test_upload_installs_and_connects(
    api: HubClient, hub_server: HubServer, mcp_session: McpSession
) -> None:
    r = await upload(api, bundle(manifest()), user_config={"token": "s3cret-value"})
    body = data(r)
    assert body["manifest"]["name"] == "tiny-bundle"
    folder = Path(body["extractDir"])
    assert folder.parent == bundles_dir(hub_server) and (folder / "server/main.py").is_file()
    server = body["server"]
    assert server["name"] == "tiny-bundle"
    config = server["config"]
    assert config["type"] == "stdio"
    assert config["args"] == [f"{folder}/server/main.py", "bundled"]
    assert config["env"]["API_TOKEN"] == "******"  # sensitive: stored, never shown
    assert "s3cret-value" not in r.text

    await wait_server(api, "tiny-bundle", "connected")
    hello = await mcp_session.call_tool("tiny-bundle-hello", {})
    assert hello["content"][0]["text"] == "hello from bundled"  # user_config default
    env = json.loads((await mcp_session.call_tool("tiny-bundle-env", {}))["content"][0]["text"])
    assert env["API_TOKEN"] == "s3cret-value"
    assert env["HOME_DIR"] == str(folder)  # ${__dirname}
    assert env["ON_LINUX"] == "yes"  # the platform override

    listed = data(await api.get("/api/servers/tiny-bundle"))
    assert "s3cret-value" not in json.dumps(listed)

    # Removing the server removes its folder.
    data(await api.delete("/api/servers/tiny-bundle"))
    assert not exists(folder)


async def test_sensitive_values_in_arguments_are_masked(
    api: HubClient, mcp_session: McpSession, hub_server: HubServer
) -> None:
    doc = manifest(name="argsecret")
    doc["server"]["mcp_config"]["args"] = ["${__dirname}/server/main.py", "${user_config.token}"]
    body = data(await upload(api, bundle(doc), user_config={"token": "label-is-secret"}))
    assert body["server"]["config"]["args"][1] == "******"
    assert body["server"]["config"]["secretArgs"] == [1]
    listed = data(await api.get("/api/servers/argsecret"))
    assert listed["config"]["args"][1] == "******"
    assert "label-is-secret" not in json.dumps(listed)
    await wait_server(api, "argsecret", "connected")
    hello = await mcp_session.call_tool("argsecret-hello", {})
    assert hello["content"][0]["text"] == "hello from label-is-secret"  # the real value ran
    # Sent back masked (as the dashboard's edit form does): the stored secret stays.
    config = {**listed["config"], "description": "edited"}
    r = await api.put("/api/servers/argsecret", json={"config": config})
    assert r.status_code == 200, r.text
    stored = hub_server.hub.config.servers["argsecret"]
    assert stored.args is not None and stored.args[1] == "label-is-secret"


async def test_user_config_values_and_multiple(api: HubClient) -> None:
    doc = manifest(name="multi")
    doc["server"]["mcp_config"]["args"] += ["--dirs", "${user_config.dirs}", "--n=${user_config.n}"]
    doc["user_config"]["dirs"] = {"type": "directory", "multiple": True, "title": "Dirs"}
    doc["user_config"]["n"] = {"type": "number", "default": 3, "min": 1, "max": 9}
    values = {"token": "t", "label": "mine", "dirs": ["/a b", "/c"], "n": 5}
    body = data(await upload(api, bundle(doc), user_config=values, name="multi-srv"))
    folder = body["extractDir"]
    assert body["server"]["name"] == "multi-srv"
    assert body["server"]["config"]["args"] == [
        f"{folder}/server/main.py",
        "mine",
        "--dirs",
        "/a b",
        "/c",
        "--n=5",
    ]

    r = await upload(api, bundle(doc), user_config={"label": "x"}, name="m2")
    assert failure(r, 400) == "Missing required userConfig value(s): token"
    r = await upload(api, bundle(doc), user_config={"token": "t", "n": 42}, name="m3")
    assert failure(r, 400) == "userConfig.n is out of range"
    r = await upload(api, bundle(doc), user_config={"token": "t", "nope": 1}, name="m4")
    assert failure(r, 400) == "Unknown userConfig key(s): nope"
    r = await upload(api, bundle(doc), user_config=None, userConfig="[1]", name="m5")
    assert failure(r, 400) == "userConfig must be a JSON object"


TRAVERSAL = zipfile.ZipInfo("../../escaped.py")
ABSOLUTE = zipfile.ZipInfo("/tmp/absolute-from-bundle.py")
BACKSLASH = zipfile.ZipInfo("..\\..\\escaped.py")


def bomb() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("manifest.json", json.dumps(manifest()))
        archive.writestr("server/main.py", TINY_SOURCE)
        archive.writestr("padding.bin", b"\0" * (8 * 1024 * 1024))
    return out.getvalue()


def corrupt() -> bytes:
    """A bundle whose stored entry was damaged after its checksum was written."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as archive:
        archive.writestr("manifest.json", json.dumps(manifest()))
        archive.writestr("server/main.py", TINY_SOURCE)
    raw = bytearray(out.getvalue())
    at = raw.index(TINY_SOURCE[:40])
    raw[at : at + 5] = b"XXXXX"
    return bytes(raw)


REFUSALS = {
    "traversal": (with_entry(TRAVERSAL), 400, "escapes the bundle folder"),
    "backslash traversal": (with_entry(BACKSLASH), 400, "escapes the bundle folder"),
    "absolute path": (with_entry(ABSOLUTE), 400, "absolute path"),
    "symlink": (
        with_entry(special("server/link", stat.S_IFLNK | 0o777), b"/etc/passwd"),
        400,
        "symbolic link",
    ),
    "device": (with_entry(special("dev/null", stat.S_IFCHR | 0o666)), 400, "special file"),
    "zip bomb": (bomb(), 400, "compression ratio"),
    "no manifest": (bundle(None), 400, "manifest.json not found in MCPB file"),
    "manifest not JSON": (bundle("{nope"), 400, "Invalid manifest: manifest.json is not JSON"),
    "manifest without server": (
        bundle({k: v for k, v in manifest().items() if k != "server"}),
        400,
        "Invalid manifest: missing server",
    ),
    "bad server type": (
        bundle(manifest(server={**manifest()["server"], "type": "ruby"})),
        400,
        "Invalid manifest: server.type must be one of node, python, binary, uv",
    ),
    "bad name": (bundle(manifest(name="../x")), 400, "Invalid manifest: name may hold only"),
    "missing author": (bundle(manifest(author={})), 400, "Invalid manifest: missing author.name"),
    "corrupt entry": (corrupt(), 400, "the archive is corrupt"),
    "not a zip": (b"this is not a zip file at all", 400, "not a valid MCPB (zip) file"),
}


@pytest.mark.parametrize("case", list(REFUSALS))
async def test_refusals_leave_nothing_behind(
    api: HubClient, hub_server: HubServer, case: str
) -> None:
    content, status, message = REFUSALS[case]
    r = await upload(api, content, user_config={"token": "t"})
    assert message in failure(r, status)
    assert left_on_disk(hub_server) == []
    assert "tiny-bundle" not in hub_server.hub.config.servers
    assert not exists("/tmp/absolute-from-bundle.py")


async def test_size_caps(api: HubClient, hub_server: HubServer) -> None:
    good = bundle(manifest())
    await set_system(api, {"mcpb": {"maxUploadBytes": 1024}})
    r = await upload(api, good + b"", user_config={"token": "t"})
    assert failure(r, 413) == "MCPB file exceeds 1024 bytes"
    await set_system(api, {"mcpb": {"maxUploadBytes": 1 << 20, "maxUnpackedBytes": 2048}})
    big = bundle(manifest(), extra={"data.txt": bytes(range(256)) * 16})
    r = await upload(api, big, user_config={"token": "t"})
    assert "unpacked size exceeds 2048 bytes" in failure(r, 413)
    await set_system(api, {"mcpb": {"maxUnpackedBytes": 1 << 20, "maxEntries": 2}})
    r = await upload(api, big, user_config={"token": "t"})
    assert "more than 2 entries" in failure(r, 400)
    assert left_on_disk(hub_server) == []


async def test_upload_form_errors(api: HubClient, hub_server: HubServer) -> None:
    r = await upload(api, bundle(manifest()), filename="tiny.zip", user_config={"token": "t"})
    assert failure(r, 400) == "Only .mcpb files are accepted"
    r = await api.http.post(
        "/api/mcpb/upload",
        data={"userConfig": "{}"},
        files={"other": ("x.mcpb", b"x")},
        headers={"x-auth-token": api.token or ""},
    )
    assert failure(r, 400) == "No MCPB file uploaded"
    r = await api.post("/api/mcpb/upload", json={"mcpbFile": "x"})
    assert "multipart/form-data" in failure(r, 400)
    # The name is taken: 409 before anything is unpacked.
    data(await upload(api, bundle(manifest()), user_config={"token": "t"}))
    r = await upload(api, bundle(manifest()), user_config={"token": "t"})
    assert failure(r, 409) == "Server 'tiny-bundle' already exists"
    assert len(left_on_disk(hub_server)) == 1


async def test_only_admin_sessions_may_upload(
    api: HubClient, alice: HubClient, hub_server: HubServer, hub_client: HubClient
) -> None:
    good = bundle(manifest())
    r = await upload(alice, good, user_config={"token": "t"})
    failure(r, 403)
    key = "tok_" + "k" * 30
    await hub_server.hub.config.put_key(
        BearerKey(id="k1", name="all", token=key, access_type="all"), create=True
    )
    r = await upload(
        api, good, user_config={"token": "t"}, headers={"Authorization": f"Bearer {key}"}
    )
    assert failure(r, 403) == "MCPB uploads need an admin's login session, not a bearer key"
    r = await upload(hub_client, good, headers={})
    failure(r, 401)
    other_admin = await add_user(hub_server, "root2", is_admin=True)
    r = await upload(api, good, user_config={"token": "t"}, headers={"x-auth-token": other_admin})
    assert data(r)["server"]["name"] == "tiny-bundle"
    assert left_on_disk(hub_server) != []
