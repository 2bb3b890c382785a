"""What an MCP session may reach: the route's servers cut by the caller's ownership or key scope.

Pure decisions from hub.auth.access on an in-memory config; the MCP endpoint tests drive the same
functions over HTTP.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from hub.auth.access import can_see_group, can_see_server, mcp_servers_in_scope
from hub.auth.principal import Principal
from hub.config.models import Group, GroupServer, ServerConfig


def live() -> Any:
    def srv(owner: str | None) -> ServerConfig:
        return ServerConfig(type="sse", url="http://127.0.0.1:9/sse", owner=owner)

    servers = {"s1": srv(None), "s2": srv(None), "a1": srv("A"), "off": srv(None)}
    servers["off"] = servers["off"].model_copy(update={"enabled": False})
    groups = {
        "g12": Group(
            id="g12", name="both", servers=[GroupServer(name="s1"), GroupServer(name="s2")]
        ),
        "g2": Group(id="g2", name="two", servers=[GroupServer(name="s2")]),
        "ga": Group(id="ga", name="mine", servers=[GroupServer(name="a1")], owner="A"),
    }
    return SimpleNamespace(servers=servers, groups=groups)


def key(access: str, groups: tuple[str, ...] = (), servers: tuple[str, ...] = ()) -> Principal:
    return Principal(
        name="key:k",
        is_admin=access == "all",
        kind="key",
        access_type=access,
        allowed_groups=groups,
        allowed_servers=servers,
    )


PRINCIPALS = {
    "open": None,
    "admin": Principal("admin", True),
    "A": Principal("A", False),
    "B": Principal("B", False),
    "all": key("all"),
    "groups:both": key("groups", groups=("both",)),
    "servers:s1": key("servers", servers=("s1",)),
    "custom:two+s1": key("custom", groups=("g2",), servers=("s1",)),
}

# route → expected servers per principal (enabled servers only; "off" never appears)
# fmt: off
CASES: list[tuple[str, str, dict[str, list[str]]]] = [
    ("global", "", {
        "open": ["s1", "s2", "a1"], "admin": ["s1", "s2", "a1"], "A": ["a1"], "B": [],
        "all": ["s1", "s2", "a1"], "groups:both": [], "servers:s1": ["s1"], "custom:two+s1": ["s1"],
    }),
    ("group", "g12", {
        "open": ["s1", "s2"], "admin": ["s1", "s2"], "A": [], "B": [], "all": ["s1", "s2"],
        "groups:both": ["s1", "s2"], "servers:s1": ["s1"], "custom:two+s1": ["s1"],
    }),
    ("group", "g2", {
        "open": ["s2"], "admin": ["s2"], "A": [], "B": [], "all": ["s2"],
        "groups:both": [], "servers:s1": [], "custom:two+s1": ["s2"],
    }),
    ("server", "s2", {
        "open": ["s2"], "admin": ["s2"], "A": [], "B": [], "all": ["s2"],
        "groups:both": [], "servers:s1": [], "custom:two+s1": [],
    }),
    ("server", "off", {p: [] for p in PRINCIPALS}),
]
# fmt: on


@pytest.mark.parametrize(("kind", "ref", "expected"), CASES, ids=[f"{k}:{r}" for k, r, _ in CASES])
def test_mcp_scope(kind: str, ref: str, expected: dict[str, list[str]]) -> None:
    cfg = live()
    group = cfg.groups[ref] if kind == "group" else None
    server = ref if kind == "server" else None
    got = {
        name: mcp_servers_in_scope(cfg, principal, group, server)
        for name, principal in PRINCIPALS.items()
    }
    assert got == expected


def test_visibility_follows_ownership_and_scope() -> None:
    cfg = live()
    a, b = PRINCIPALS["A"], PRINCIPALS["B"]
    assert can_see_server(a, "a1", cfg.servers["a1"])
    assert not can_see_server(b, "a1", cfg.servers["a1"])
    assert not can_see_server(a, "s1", cfg.servers["s1"])  # unowned means the admin's
    assert can_see_group(a, cfg.groups["ga"]) and not can_see_group(b, cfg.groups["ga"])
    group_key = PRINCIPALS["groups:both"]
    assert can_see_group(group_key, cfg.groups["g12"])
    assert not can_see_group(group_key, cfg.groups["g2"])
    assert not can_see_server(group_key, "s1", cfg.servers["s1"])
    server_key = PRINCIPALS["servers:s1"]
    assert can_see_server(server_key, "s1", cfg.servers["s1"])
    assert not can_see_group(server_key, cfg.groups["g12"])
