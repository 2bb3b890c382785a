"""One policy table: every route declares its policy, and every non-public /api route
answers 401 to a request without credentials (walks the real route table)."""

from __future__ import annotations

import re

import tornado.web

from hub.auth.principal import Policy
from hub.server import HubServer, collect_routes
from hub.testing import HubClient

METHODS = ("GET", "POST", "PUT", "DELETE", "PATCH")


def implemented(handler: type[tornado.web.RequestHandler]) -> list[str]:
    base = tornado.web.RequestHandler
    return [m for m in METHODS if getattr(handler, m.lower()) is not getattr(base, m.lower())]


def concrete(pattern: str) -> str:
    """A path the pattern matches: a group of literal choices gives its first, others ``x``."""

    def fill(m: re.Match[str]) -> str:
        body = m.group(1).removeprefix("?:")
        body = re.sub(r"^\?P<\w+>", "", body)
        if re.fullmatch(r"[\w-]+(\|[\w-]+)*", body):
            return body.split("|")[0]
        return "x"

    path = re.sub(r"\(((?:[^()\\]|\\.)*)\)", fill, pattern)
    path = re.sub(r".\?", "", path.rstrip("$"))  # optional parts: leave them out
    return path.replace(".*", "x").replace("\\", "")


def policies(handler: type[tornado.web.RequestHandler]) -> dict[str, object]:
    declared = getattr(handler, "policy", None)
    if isinstance(declared, dict):
        return {m: declared.get(m) for m in implemented(handler)}
    return dict.fromkeys(implemented(handler), declared)


def test_every_route_declares_a_policy_for_each_method(hub_server: HubServer) -> None:
    undeclared = [
        f"{method} {pattern} ({handler.__name__})"
        for pattern, handler, _ in collect_routes(hub_server.hub)
        for method, policy in policies(handler).items()
        if not isinstance(policy, Policy)
    ]
    assert not undeclared, "routes without a policy:\n" + "\n".join(undeclared)


def test_concrete_paths_match_their_patterns(hub_server: HubServer) -> None:
    for pattern, _, _ in collect_routes(hub_server.hub):
        assert re.fullmatch(pattern, concrete(pattern)), pattern


async def test_non_public_api_routes_answer_401_without_credentials(
    hub_server: HubServer, hub_client: HubClient
) -> None:
    wrong = []
    checked = 0
    base = hub_server.hub.base_path + "/api/"
    for pattern, handler, _ in collect_routes(hub_server.hub):
        if not pattern.startswith(base):
            continue
        for method, policy in policies(handler).items():
            if policy is Policy.PUBLIC:
                continue
            path = concrete(pattern)
            r = await hub_client.request(method, path, json={}, token=None)
            checked += 1
            if r.status_code != 401:
                wrong.append(f"{method} {path}: {r.status_code}")
    assert checked >= 30
    assert not wrong, "non-public routes not answering 401:\n" + "\n".join(wrong)
