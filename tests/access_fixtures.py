"""A cast of callers for access tests: anonymous, users A and B, admin and three bearer keys.

Users get JWTs issued directly (no bcrypt per test); keys are stored through LiveConfig with
known tokens. Each user owns a disabled remote server and a group holding it, so nothing
connects anywhere.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx2
import pytest

from hub import logs
from hub.auth.tokens import issue_token
from hub.config.models import BearerKey, Group, GroupServer, ServerConfig, User
from hub.server import HubServer

ROLES = ("anon", "A", "B", "admin", "key", "gkey", "skey")
"""Column order of every matrix: anonymous, user A, user B, admin, all-access key,
group-scoped key (admin-grp), server-scoped key (admin-srv)."""


@dataclass
class Actor:
    name: str
    http: httpx2.AsyncClient
    headers: dict[str, str] = field(default_factory=dict)

    async def request(self, method: str, path: str, json: Any = None) -> httpx2.Response:
        return await self.http.request(method, path, json=json, headers=self.headers)

    async def get(self, path: str) -> httpx2.Response:
        return await self.request("GET", path)

    async def post(self, path: str, json: Any = None) -> httpx2.Response:
        return await self.request("POST", path, json)

    async def put(self, path: str, json: Any = None) -> httpx2.Response:
        return await self.request("PUT", path, json)

    async def delete(self, path: str) -> httpx2.Response:
        return await self.request("DELETE", path)


@dataclass
class Cast:
    server: HubServer
    actors: dict[str, Actor]
    tokens: dict[str, str]
    """Every credential handed out (JWTs and key tokens), for leak checks."""

    def __getitem__(self, role: str) -> Actor:
        return self.actors[role]

    @property
    def hub(self) -> Any:
        return self.server.hub


def remote(owner: str | None, port: int = 9) -> ServerConfig:
    """A disabled streamable-http config: valid, owned, never dialled."""
    return ServerConfig(
        type="streamable-http", url=f"http://127.0.0.1:{port}/mcp", owner=owner, enabled=False
    )


async def add_user(server: HubServer, name: str, is_admin: bool = False) -> str:
    """Store a user (unusable password) and return a JWT for them."""
    hub = server.hub
    await hub.config.put_user(User(username=name, password="!", is_admin=is_admin), create=True)
    return issue_token(hub.jwt_secret, name, is_admin, 0)


async def build_cast(server: HubServer) -> Cast:
    hub = server.hub
    cfg = hub.config
    tokens: dict[str, str] = {}
    for user in ("A", "B"):
        tokens[user] = await add_user(server, user)
    tokens["admin"] = issue_token(hub.jwt_secret, "admin", True, cfg.users["admin"].token_version)
    for owner, tag in (("A", "a"), ("B", "b"), (None, "admin")):
        await cfg.put_server(f"{tag}-srv", remote(owner), create=True)
        await cfg.put_group(
            Group(
                id=f"{tag}-grp-id",
                name=f"{tag}-grp",
                servers=[GroupServer(name=f"{tag}-srv")],
                owner=owner,
            ),
            create=True,
        )
    scopes = {
        "key": ("all", [], []),
        "gkey": ("groups", ["admin-grp"], []),
        "skey": ("servers", [], ["admin-srv"]),
    }
    for role, (access, groups, servers) in scopes.items():
        tokens[role] = "tok_" + secrets.token_urlsafe(24)
        await cfg.put_key(
            BearerKey(
                id=f"{role}-id",
                name=role,
                token=tokens[role],
                access_type=access,  # type: ignore[arg-type]
                allowed_groups=groups,
                allowed_servers=servers,
            ),
            create=True,
        )
    http = httpx2.AsyncClient(base_url=f"http://{server.address}", timeout=30.0)
    actors = {"anon": Actor("anon", http)}
    for role in ("A", "B", "admin"):
        actors[role] = Actor(role, http, {"x-auth-token": tokens[role]})
    for role in scopes:
        actors[role] = Actor(role, http, {"Authorization": f"Bearer {tokens[role]}"})
    return Cast(server, actors, tokens)


@pytest.fixture(name="cast")
async def cast_fixture(hub_server: HubServer) -> AsyncIterator[Cast]:
    built = await build_cast(hub_server)
    yield built
    await built["anon"].http.aclose()


@pytest.fixture(name="log_buffer")
def log_buffer_fixture() -> Iterator[logs.LogBuffer]:
    """The hub's log ring buffer, attached to the root logger at DEBUG for one test."""
    root = logging.getLogger()
    level, buffer_level = root.level, logs.buffer.level
    attached = logs.buffer in root.handlers
    if not attached:
        root.addHandler(logs.buffer)
    root.setLevel(logging.DEBUG)
    logs.buffer.setLevel(logging.DEBUG)
    logs.buffer.clear()
    yield logs.buffer
    root.setLevel(level)
    logs.buffer.setLevel(buffer_level)
    if not attached:
        root.removeHandler(logs.buffer)
