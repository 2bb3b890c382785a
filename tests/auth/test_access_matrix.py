"""The authorization matrix: every route family, as every kind of caller.

Columns: anonymous, user A, user B, admin, an all-access key, a key scoped to the group
``admin-grp`` and a key scoped to the server ``admin-srv`` (see access_fixtures.py).
Cells: ``ok`` (any 2xx), ``in`` (past the gate: neither 401, 403 nor 404), or a status.

A owns a-srv and a-grp, B owns b-srv and b-grp, the admin owns admin-srv and admin-grp.
Placeholders are made fresh for every cell: {uniq} a new name, {gA}/{gB} a new group of
A/B holding their server, {sA}/{sX} a new server of A/the admin, {u} a new user, {k} a new key.
"""

from __future__ import annotations

import importlib
import re
import secrets
from typing import Any

from hub.config.models import BearerKey, Group, GroupServer, User
from hub.server import HANDLER_MODULES
from tests.access_fixtures import ROLES, Cast, remote

STRONG = "Str0ng!pass"
STDIO = {"type": "stdio", "command": "true", "enabled": False}
REMOTE = {"type": "streamable-http", "url": "http://127.0.0.1:9/mcp", "enabled": False}

# fmt: off
#   method  path                                              body                            anon A    B    admin key  gkey skey
MATRIX: list[tuple[str, str, Any, str]] = [
    # groups: owners and admins; scoped keys are for MCP only
    ("GET",    "/api/groups",                                 None,                           "401  ok   ok   ok   ok   401  401"),
    ("POST",   "/api/groups",                                 {"name": "{uniq}"},             "401  ok   ok   ok   ok   401  401"),
    ("POST",   "/api/groups/batch",                           {"groups": [{"name": "{uniq}"}]}, "401 ok  ok   ok   ok   401  401"),
    ("GET",    "/api/groups/a-grp",                           None,                           "401  ok   404  ok   ok   401  401"),
    ("GET",    "/api/groups/a-grp-id",                        None,                           "401  ok   404  ok   ok   401  401"),
    ("GET",    "/api/groups/admin-grp",                       None,                           "401  404  404  ok   ok   401  401"),
    ("PUT",    "/api/groups/a-grp",                           {"description": "d"},           "401  ok   404  ok   ok   401  401"),
    ("PUT",    "/api/groups/{gA}",                            {"name": "{uniq}"},             "401  ok   404  ok   ok   401  401"),
    ("DELETE", "/api/groups/{gA}",                            None,                           "401  ok   404  ok   ok   401  401"),
    ("GET",    "/api/groups/a-grp/servers",                   None,                           "401  ok   404  ok   ok   401  401"),
    ("POST",   "/api/groups/a-grp/servers",                   {"serverName": "a-srv"},        "401  ok   404  ok   ok   401  401"),
    ("POST",   "/api/groups/{gB}/servers",                    {"serverName": "a-srv"},        "401  404  400  ok   ok   401  401"),
    ("POST",   "/api/groups/{gA}/servers",                    {"serverName": "admin-srv"},    "401  400  404  ok   ok   401  401"),
    ("DELETE", "/api/groups/{gA}/servers/a-srv",              None,                           "401  ok   404  ok   ok   401  401"),
    ("PUT",    "/api/groups/a-grp/servers/batch",             {"servers": ["a-srv"]},         "401  ok   404  ok   ok   401  401"),
    ("PUT",    "/api/groups/{gB}/servers/batch",              {"servers": ["a-srv"]},         "401  404  400  ok   ok   401  401"),
    ("GET",    "/api/groups/a-grp/server-configs",            None,                           "401  ok   404  ok   ok   401  401"),
    ("GET",    "/api/groups/a-grp/server-configs/a-srv",      None,                           "401  ok   404  ok   ok   401  401"),
    ("PUT",    "/api/groups/a-grp/server-configs/a-srv/tools", {"tools": ["echo"]},           "401  ok   404  ok   ok   401  401"),
    ("PUT",    "/api/groups/a-grp/server-configs/a-srv/prompts", {"prompts": "all"},          "401  ok   404  ok   ok   401  401"),
    ("PUT",    "/api/groups/a-grp/server-configs/a-srv/resources", {"resources": []},         "401  ok   404  ok   ok   401  401"),
    # users: admin users only; no bearer key manages users (a leaked key cannot mint more)
    ("GET",    "/api/users",                                  None,                           "401  403  403  ok   403  401  401"),
    ("POST",   "/api/users",                                  {"username": "{uniq}", "password": STRONG}, "401 403 403 ok 403 401 401"),
    ("GET",    "/api/users/A",                                None,                           "401  403  403  ok   403  401  401"),
    ("PUT",    "/api/users/{u}",                              {"isAdmin": True},              "401  403  403  ok   403  401  401"),
    ("DELETE", "/api/users/{u}",                              None,                           "401  403  403  ok   403  401  401"),
    ("GET",    "/api/users-stats",                            None,                           "401  403  403  ok   403  401  401"),
    ("POST",   "/api/auth/register",                          {"username": "{uniq}", "password": STRONG}, "401 ok ok ok 403 401 401"),
    ("POST",   "/api/auth/change-password",                   {},                             "401  400  400  400  403  401  401"),
    # bearer keys: admin users only
    ("GET",    "/api/auth/keys",                              None,                           "401  403  403  ok   403  401  401"),
    ("POST",   "/api/auth/keys",                              {"name": "{uniq}"},             "401  403  403  ok   403  401  401"),
    ("GET",    "/api/auth/keys/key-id",                       None,                           "401  403  403  ok   403  401  401"),
    ("PUT",    "/api/auth/keys/{k}",                          {"enabled": False},             "401  403  403  ok   403  401  401"),
    ("DELETE", "/api/auth/keys/{k}",                          None,                           "401  403  403  ok   403  401  401"),
    # templates: owners export and import their own things; stdio imports need an admin login
    # (or a key marked allowHostExecution, issue 20)
    ("POST",   "/api/templates/export",                       {"name": "t"},                  "401  ok   ok   ok   ok   401  401"),
    ("POST",   "/api/templates/export",                       {"name": "t", "groupIds": ["a-grp"]}, "401 ok 404 ok ok  401  401"),
    ("GET",    "/api/templates/export/groups/a-grp",          None,                           "401  ok   404  ok   ok   401  401"),
    ("POST",   "/api/templates/import",                       {"servers": {"{uniq}": REMOTE}}, "401 ok   ok   ok   ok   401  401"),
    ("POST",   "/api/templates/import",                       {"servers": {"{uniq}": STDIO}}, "401  400  400  ok   400  401  401"),
    # the session itself
    ("GET",    "/api/auth/user",                              None,                           "401  ok   ok   ok   ok   401  401"),
]

# Routes of other families, checked once their module is in the tree.
OTHER: dict[str, list[tuple[str, str, Any, str]]] = {
    "hub.api.servers": [
        ("GET",    "/api/servers",                            None,                           "401  ok   ok   ok   ok   401  401"),
        ("GET",    "/api/servers/a-srv",                      None,                           "401  ok   404  ok   ok   401  401"),
        ("GET",    "/api/servers/admin-srv",                  None,                           "401  404  404  ok   ok   401  401"),
        ("POST",   "/api/servers",                            {"name": "{uniq}", "config": STDIO}, "401 403 403 ok 403 401  401"),
        ("POST",   "/api/servers",                            {"name": "{uniq}", "config": REMOTE}, "401 in in  ok   ok   401  401"),
        ("POST",   "/api/servers/batch",                      {"servers": [{"name": "{uniq}", "config": REMOTE}]}, "401 in in ok ok 401 401"),
        ("PUT",    "/api/servers/{sA}",                       {"config": STDIO},              "401  403  404  ok   403  401  401"),
        ("DELETE", "/api/servers/{sA}",                       None,                           "401  ok   404  ok   ok   401  401"),
        ("DELETE", "/api/servers/{sX}",                       None,                           "401  404  404  ok   ok   401  401"),
        ("POST",   "/api/servers/{sA}/toggle",                {"enabled": False},             "401  ok   404  ok   ok   401  401"),
        ("POST",   "/api/servers/{sA}/reload",                None,                           "401  in   404  in   in   401  401"),
    ],
    "hub.api.settings": [
        ("GET",    "/api/settings",                           None,                           "401  403  403  ok   403  401  401"),
        ("PUT",    "/api/system-config",                      {},                             "401  403  403  in   403  401  401"),
        ("GET",    "/api/mcp-settings/export",                None,                           "401  403  403  ok   403  401  401"),
    ],
    "hub.api.builtin_items": [
        ("GET",    "/api/prompts",                            None,                           "401  ok   ok   ok   ok   401  401"),
        ("POST",   "/api/prompts",                            {"name": "{uniq}", "template": "t"}, "401 403 403 ok ok  401  401"),
        ("GET",    "/api/prompts/none",                       None,                           "401  404  404  404  404  401  401"),
        ("PUT",    "/api/prompts/none",                       {"template": "t"},              "401  403  403  404  404  401  401"),
        ("DELETE", "/api/prompts/none",                       None,                           "401  403  403  404  404  401  401"),
        ("GET",    "/api/resources",                          None,                           "401  ok   ok   ok   ok   401  401"),
        ("POST",   "/api/resources",                          {"uri": "hub://{uniq}", "content": "c"}, "401 403 403 ok ok 401 401"),
        ("PUT",    "/api/resources/none",                     {"content": "c"},               "401  403  403  404  404  401  401"),
        ("DELETE", "/api/resources/none",                     None,                           "401  403  403  404  404  401  401"),
        ("POST",   "/api/resources/read",                     {"uri": "hub://none"},          "401  404  404  404  404  401  401"),
    ],
    "hub.api.logs": [
        ("GET",    "/api/logs",                               None,                           "401  403  403  ok   in   401  401"),
    ],
}
# fmt: on


def rows() -> list[tuple[str, str, Any, str]]:
    out = list(MATRIX)
    for module, extra in OTHER.items():
        if module in HANDLER_MODULES:
            out.extend(extra)
    return out


class Fresh:
    """Per-cell placeholders, made on demand directly in the live config."""

    def __init__(self, cast: Cast) -> None:
        self.cast = cast
        self.values: dict[str, str] = {}

    async def value(self, key: str) -> str:
        if key in self.values:
            return self.values[key]
        cfg = self.cast.hub.config
        tag = secrets.token_hex(4)
        if key == "uniq":
            value = f"n{tag}"
        elif key in ("sA", "sX"):
            value = f"s{tag}"
            owner = "A" if key == "sA" else None
            await cfg.put_server(value, remote(owner), create=True)
        elif key in ("gA", "gB"):
            owner = key[1]
            value = f"g{tag}"
            member = GroupServer(name=f"{owner.lower()}-srv")
            await cfg.put_group(Group(id=value, name=value, servers=[member], owner=owner))
        elif key == "u":
            value = f"u{tag}"
            await cfg.put_user(User(username=value, password="!"), create=True)
        elif key == "k":
            value = f"k{tag}"
            await cfg.put_key(BearerKey(id=value, name=value, token="tok_" + secrets.token_hex(16)))
        else:
            raise KeyError(key)
        self.values[key] = value
        return value

    async def fill(self, data: Any) -> Any:
        if isinstance(data, str):
            for key in re.findall(r"\{(\w+)\}", data):
                data = data.replace("{" + key + "}", await self.value(key))
            return data
        if isinstance(data, dict):
            return {await self.fill(k): await self.fill(v) for k, v in data.items()}
        if isinstance(data, list):
            return [await self.fill(v) for v in data]
        return data


def matches(expected: str, status: int) -> bool:
    if expected == "ok":
        return 200 <= status < 300
    if expected == "in":
        return status not in (401, 403, 404)
    return status == int(expected)


async def test_authorization_matrix(cast: Cast) -> None:
    failures = []
    for method, path, body, cells in rows():
        expected = cells.split()
        assert len(expected) == len(ROLES), (method, path)
        for role, want in zip(ROLES, expected, strict=True):
            fresh = Fresh(cast)
            url = await fresh.fill(path)
            r = await cast[role].request(method, url, await fresh.fill(body))
            if not matches(want, r.status_code):
                failures.append(
                    f"{method} {path} as {role}: want {want}, got {r.status_code} {r.text[:120]}"
                )
    assert not failures, "\n".join(failures)


def implemented(handler: type) -> list[str]:
    import tornado.web

    base = tornado.web.RequestHandler
    return [
        m
        for m in ("GET", "POST", "PUT", "DELETE", "PATCH")
        if getattr(handler, m.lower()) is not getattr(base, m.lower())
    ]


def test_matrix_covers_every_route_of_the_access_families() -> None:
    covered = [(m, p) for m, p, _, _ in MATRIX]
    missing = []
    for module in ("hub.api.users", "hub.api.keys", "hub.api.groups", "hub.api.templates"):
        for pattern, handler, *_ in importlib.import_module(module).default_handlers:
            for method in implemented(handler):
                hit = any(
                    m == method and re.fullmatch(pattern, re.sub(r"\{\w+\}", "x", p))
                    for m, p in covered
                )
                if not hit:
                    missing.append(f"{method} {pattern}")
    assert not missing, "routes missing from MATRIX:\n" + "\n".join(missing)
