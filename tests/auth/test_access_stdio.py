"""Every write path refuses a process-spawning config from a normal user, and nothing runs.

Each attempt asks the hub to run ``touch <marker>``; a marker file would prove a spawn. The
admin's identical request is the control: it does spawn, so the silence of the others means
something.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hub.testing import wait_for
from tests.access_fixtures import Cast


def touch(marker: Path, **extra: Any) -> dict[str, Any]:
    return {"command": "touch", "args": [str(marker)], **extra}


def spawned(path: Path) -> bool:
    return path.exists()


async def test_no_write_path_lets_a_user_spawn(cast: Cast, tmp_path: Path) -> None:
    a = cast["A"]
    m = [tmp_path / f"m{i}" for i in range(10)]
    remote = {"type": "sse", "url": "http://127.0.0.1:9/sse"}
    args_only = {"args": [str(m[3])]}
    # method, path, body, status, a word the refusal must give
    attempts: list[tuple[str, str, Any, int, str]] = [
        ("POST", "/api/servers", {"name": "x0", "config": touch(m[0])}, 403, "admin"),
        ("POST", "/api/servers", {"name": "x1", "config": touch(m[1], type="stdio")}, 403, "admin"),
        ("POST", "/api/servers", {"name": "x2", "config": touch(m[2], **remote)}, 403, "admin"),
        ("POST", "/api/servers", {"name": "x3", "config": args_only}, 400, "command"),
        (
            "POST",
            "/api/servers/batch",
            {"servers": [{"name": "x4", "config": touch(m[4])}]},
            400,
            "admin",
        ),
        ("PUT", "/api/servers/a-srv", {"config": touch(m[5])}, 403, "admin"),
        (
            "PUT",
            "/api/servers/a-srv",
            {"config": touch(m[6], type="stdio"), "newName": "x6"},
            403,
            "admin",
        ),
        ("POST", "/api/templates/import", {"servers": {"x7": touch(m[7])}}, 400, "admin"),
        (
            "POST",
            "/api/templates/import",
            {"servers": {"x8": touch(m[8], type="sse")}},
            400,
            "admin",
        ),
    ]
    for method, path, body, status, why in attempts:
        r = await a.request(method, path, body)
        assert r.status_code == status, (path, body, r.text)
        assert why in r.text.lower(), r.text

    control = tmp_path / "admin-spawned"
    r = await cast["admin"].post("/api/servers", {"name": "ctl", "config": touch(control)})
    assert r.status_code in (200, 201), r.text
    try:
        await wait_for(lambda: spawned(control), 5, every=0.05)
    except AssertionError:
        raise AssertionError("the control config never ran: this test proves nothing") from None

    servers = cast.hub.config.servers
    assert not any(name.startswith("x") for name in servers)
    assert servers["a-srv"].command is None and servers["a-srv"].type == "streamable-http"
    assert [p.name for p in m if spawned(p)] == []
