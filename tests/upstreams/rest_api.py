"""A small REST API with an OpenAPI 3.1 spec, the upstream for OpenAPI-transport tests.

Serves ``/openapi.json`` and ``/openapi.yaml`` (servers ``[{url: /v1}]``, relative on purpose)
and ``/broken.json`` (a spec with an unresolvable ``$ref``). Operations cover path, query,
header, cookie and body parameters, a recursive schema, API-key, bearer, basic and OAuth 2
client-credentials security, an error response, a text response and a slow one.
``GET /stats`` (not in the spec) counts issued tokens and requests.
Run: ``python -m tests.upstreams.rest_api --port 0`` (prints ``LISTENING <port>``).
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import secrets
import sys
import time
from typing import Any

import tornado.httpserver
import tornado.netutil
import tornado.web
import yaml

API_KEY, BEARER, BASIC = "test-key", "test-token", "alice:secret"
CLIENT_ID, CLIENT_SECRET = "hub-client", "hub-secret"

J = "application/json"


def _json(schema: dict[str, Any]) -> dict[str, Any]:
    return {"content": {J: {"schema": schema}}}


def _ok(schema: dict[str, Any], description: str = "OK") -> dict[str, Any]:
    return {"description": description, **_json(schema)}


ITEM_REF = {"$ref": "#/components/schemas/Item"}
PUBLIC: list[Any] = []
SPEC: dict[str, Any] = {
    "openapi": "3.1.0",
    "info": {"title": "Test REST API", "version": "1.0.0"},
    "servers": [{"url": "/v1"}],
    "security": [{"ApiKeyAuth": []}],
    "paths": {
        "/items": {
            "get": {
                "operationId": "listItems",
                "summary": "List items",
                "parameters": [
                    {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1}},
                    {
                        "name": "tag",
                        "in": "query",
                        "description": "Only items with all these tags",
                        "schema": {"type": "array", "items": {"type": "string"}},
                    },
                ],
                "responses": {"200": _ok({"type": "array", "items": ITEM_REF})},
            },
            "post": {
                "operationId": "createItem",
                "summary": "Create an item",
                "requestBody": {
                    "required": True,
                    **_json({"$ref": "#/components/schemas/NewItem"}),
                },
                "responses": {"201": _ok(ITEM_REF, "Created")},
            },
        },
        "/items/{itemId}": {
            "parameters": [{"$ref": "#/components/parameters/ItemId"}],
            "get": {
                "operationId": "getItem",
                "summary": "Get one item",
                "parameters": [
                    {"name": "X-Request-Id", "in": "header", "schema": {"type": "string"}}
                ],
                "responses": {
                    "200": _ok(ITEM_REF),
                    "404": {"$ref": "#/components/responses/NotFound"},
                },
            },
            "delete": {
                "operationId": "deleteItem",
                "summary": "Delete an item",
                "security": [{"BearerAuth": []}],
                "responses": {"204": {"description": "Deleted"}},
            },
        },
        "/whoami": {
            "get": {
                "operationId": "whoami",
                "summary": "Who the bearer token belongs to",
                "security": [{"BearerAuth": []}, {"OAuth2": []}],
                "responses": {"200": _ok({"type": "object"})},
            }
        },
        "/basic": {
            "get": {
                "summary": "Needs HTTP basic auth",
                "security": [{"BasicAuth": []}],
                "responses": {"200": _ok({"type": "object"})},
            }
        },
        "/key-location": {
            "get": {
                "operationId": "keyLocation",
                "summary": "Where the API key was found (header, query or cookie)",
                "responses": {"200": _ok({"type": "object"})},
            }
        },
        "/echo": {
            "get": {
                "operationId": "echo",
                "summary": "Echo the request",
                "security": PUBLIC,
                "parameters": [
                    {"name": "q", "in": "query", "schema": {"type": "string"}},
                    {"name": "n", "in": "query", "schema": {"type": "integer"}},
                    {"name": "flag", "in": "query", "schema": {"type": "boolean"}},
                    {
                        "name": "ids",
                        "in": "query",
                        "explode": False,
                        "schema": {"type": "array", "items": {"type": "integer"}},
                    },
                    {
                        "name": "filter",
                        "in": "query",
                        "style": "deepObject",
                        "schema": {"type": "object", "additionalProperties": {"type": "string"}},
                    },
                    {"name": "X-Trace", "in": "header", "schema": {"type": "string"}},
                    {"name": "session", "in": "cookie", "schema": {"type": "string"}},
                ],
                "responses": {"200": _ok({"type": "object"})},
            }
        },
        "/things/{id}": {
            "post": {
                "operationId": "collide",
                "summary": "Parameters whose names collide",
                "security": PUBLIC,
                "parameters": [
                    {"name": "id", "in": "path", "required": True, "schema": {"type": "string"}},
                    {"name": "id", "in": "query", "schema": {"type": "string"}},
                    {"name": "body", "in": "query", "schema": {"type": "string"}},
                ],
                "requestBody": _json({"type": "object"}),
                "responses": {"200": _ok({"type": "object"})},
            }
        },
        "/tree": {
            "post": {
                "summary": "Count the nodes of a tree",
                "security": PUBLIC,
                "requestBody": {"required": True, **_json({"$ref": "#/components/schemas/Node"})},
                "responses": {"200": _ok({"type": "object"})},
            }
        },
        "/hello": {
            "get": {
                "operationId": "hello",
                "summary": "Plain-text greeting",
                "security": PUBLIC,
                "parameters": [{"name": "name", "in": "query", "schema": {"type": "string"}}],
                "responses": {"200": {"description": "OK", "content": {"text/plain": {}}}},
            }
        },
        "/slow": {
            "get": {
                "operationId": "slow",
                "summary": "Answer after a delay",
                "security": PUBLIC,
                "parameters": [{"name": "seconds", "in": "query", "schema": {"type": "number"}}],
                "responses": {"200": _ok({"type": "object"})},
            }
        },
    },
    "components": {
        "parameters": {
            "ItemId": {
                "name": "itemId",
                "in": "path",
                "required": True,
                "description": "The item's id",
                "schema": {"type": "integer"},
            }
        },
        "schemas": {
            "NewItem": {
                "type": "object",
                "required": ["name"],
                "properties": {
                    "name": {"type": "string"},
                    "price": {"type": "number", "minimum": 0},
                    "tags": {"type": "array", "items": {"type": "string"}},
                },
            },
            "Item": {
                "allOf": [
                    {"$ref": "#/components/schemas/NewItem"},
                    {"type": "object", "properties": {"id": {"type": "integer"}}},
                ]
            },
            "Node": {
                "type": "object",
                "properties": {
                    "name": {"type": "string"},
                    "children": {"type": "array", "items": {"$ref": "#/components/schemas/Node"}},
                },
            },
            "Error": {
                "type": "object",
                "properties": {"error": {"type": "string"}, "message": {"type": "string"}},
            },
        },
        "responses": {
            "NotFound": {
                "description": "No such item",
                **_json({"$ref": "#/components/schemas/Error"}),
            }
        },
        "securitySchemes": {
            "ApiKeyAuth": {"type": "apiKey", "in": "header", "name": "X-API-Key"},
            "BearerAuth": {"type": "http", "scheme": "bearer"},
            "BasicAuth": {"type": "http", "scheme": "basic"},
            "OAuth2": {
                "type": "oauth2",
                "flows": {"clientCredentials": {"tokenUrl": "/v1/token", "scopes": {}}},
            },
        },
    },
}
BROKEN = {
    **SPEC,
    "paths": {"/x": {"get": {"parameters": [{"$ref": "#/components/parameters/Nope"}]}}},
}


class State:
    def __init__(self, token_ttl: float) -> None:
        self.token_ttl = token_ttl
        self.items: dict[int, dict[str, Any]] = {
            1: {"id": 1, "name": "widget", "price": 2.5, "tags": ["a"]}
        }
        self.tokens: dict[str, float] = {}
        self.issued = 0
        self.requests = 0
        self.spec_fetches: dict[str, int] = {}


class Handler(tornado.web.RequestHandler):
    def initialize(self, state: State) -> None:
        self.state = state

    def prepare(self) -> None:
        self.state.requests += 1

    def send(self, data: Any, status: int = 200) -> None:
        self.set_status(status)
        self.set_header("Content-Type", J)
        self.finish(json.dumps(data))

    def fail(self, status: int, error: str, message: str) -> None:
        self.send({"error": error, "message": message}, status)

    def body_json(self) -> Any:
        return json.loads(self.request.body or b"null")

    def api_key(self) -> str | None:
        if self.request.headers.get("X-API-Key") == API_KEY:
            return "header"
        if self.get_query_argument("api_key", None) == API_KEY:
            return "query"
        if self.get_cookie("api_key") == API_KEY:
            return "cookie"
        return None

    def bearer(self) -> str | None:
        auth = self.request.headers.get("Authorization", "")
        token = auth.removeprefix("Bearer ") if auth.startswith("Bearer ") else None
        if token == BEARER:
            return "static"
        if token and self.state.tokens.get(token, 0) > time.monotonic():
            return "client-credentials"
        return None

    def need_key(self) -> bool:
        if self.api_key() is None:
            self.fail(401, "unauthorized", "missing or wrong API key")
            return False
        return True


class Items(Handler):
    def get(self) -> None:
        if not self.need_key():
            return
        tags = set(self.get_query_arguments("tag"))
        items = [i for i in self.state.items.values() if tags <= set(i.get("tags", []))]
        limit = self.get_query_argument("limit", None)
        self.send(items[: int(limit)] if limit else items)

    def post(self) -> None:
        if not self.need_key():
            return
        data = self.body_json()
        if not isinstance(data, dict) or not isinstance(data.get("name"), str):
            self.fail(400, "bad_request", "name is required")
            return
        item = {"id": max(self.state.items, default=0) + 1, **data}
        self.state.items[item["id"]] = item
        self.send(item, 201)


class Item(Handler):
    def get(self, item_id: str) -> None:
        if not self.need_key():
            return
        item = self.state.items.get(int(item_id))
        if item is None:
            self.fail(404, "not_found", f"no item {item_id}")
            return
        self.send({**item, "requestId": self.request.headers.get("X-Request-Id")})

    def delete(self, item_id: str) -> None:
        if self.bearer() is None:
            self.fail(401, "unauthorized", "bearer token required")
            return
        self.state.items.pop(int(item_id), None)
        self.set_status(204)
        self.finish()


class Whoami(Handler):
    def get(self) -> None:
        who = self.bearer()
        if who is None:
            self.fail(401, "unauthorized", "bearer token required")
            return
        self.send({"auth": who})


class Basic(Handler):
    def get(self) -> None:
        auth = self.request.headers.get("Authorization", "")
        if auth != "Basic " + base64.b64encode(BASIC.encode()).decode():
            self.fail(401, "unauthorized", "basic credentials required")
            return
        self.send({"user": BASIC.split(":")[0]})


class KeyLocation(Handler):
    def get(self) -> None:
        if self.need_key():
            self.send({"in": self.api_key()})


class Echo(Handler):
    def get(self) -> None:
        self.send(
            {
                "query": {
                    k: [v.decode() for v in vs] for k, vs in self.request.query_arguments.items()
                },
                "headers": {
                    k.lower(): v
                    for k, v in self.request.headers.items()
                    if k.lower().startswith("x-")
                },
                "cookies": {k: m.value for k, m in self.request.cookies.items()},
                "authorization": self.request.headers.get("Authorization"),
            }
        )


class Collide(Handler):
    def post(self, thing: str) -> None:
        self.send(
            {
                "path": thing,
                "query": {k: self.get_query_argument(k) for k in self.request.query_arguments},
                "body": self.body_json(),
            }
        )


class Tree(Handler):
    def post(self) -> None:
        def count(node: Any) -> int:
            return (
                1 + sum(count(c) for c in node.get("children", [])) if isinstance(node, dict) else 0
            )

        self.send({"nodes": count(self.body_json())})


class Hello(Handler):
    def get(self) -> None:
        self.set_header("Content-Type", "text/plain; charset=utf-8")
        self.finish(f"hello, {self.get_query_argument('name', 'world')}")


class Slow(Handler):
    async def get(self) -> None:
        await asyncio.sleep(float(self.get_query_argument("seconds", "1")))
        self.send({"slept": True})


class Token(Handler):
    def post(self) -> None:
        auth = self.request.headers.get("Authorization", "")
        pair = f"{CLIENT_ID}:{CLIENT_SECRET}".encode()
        basic_ok = auth == "Basic " + base64.b64encode(pair).decode()
        form_ok = (
            self.get_body_argument("client_id", None) == CLIENT_ID
            and self.get_body_argument("client_secret", None) == CLIENT_SECRET
        )
        if self.get_body_argument("grant_type", None) != "client_credentials":
            self.fail(400, "unsupported_grant_type", "client_credentials only")
            return
        if not (basic_ok or form_ok):
            self.fail(401, "invalid_client", "bad client credentials")
            return
        token = secrets.token_urlsafe(16)
        self.state.tokens[token] = time.monotonic() + self.state.token_ttl
        self.state.issued += 1
        self.send(
            {"access_token": token, "token_type": "Bearer", "expires_in": self.state.token_ttl}
        )


class Stats(Handler):
    def prepare(self) -> None:
        return  # reading the counters is not a request to count

    def get(self) -> None:
        state = self.state
        self.send(
            {
                "tokensIssued": state.issued,
                "requests": state.requests,
                "specFetches": state.spec_fetches,
            }
        )


class Document(Handler):
    def initialize(self, state: State, document: dict[str, Any], yaml_form: bool = False) -> None:
        super().initialize(state)
        self.document, self.yaml_form = document, yaml_form

    def get(self) -> None:
        fetches = self.state.spec_fetches
        fetches[self.request.path] = fetches.get(self.request.path, 0) + 1
        if self.yaml_form:
            self.set_header("Content-Type", "application/yaml")
            self.finish(yaml.safe_dump(self.document, sort_keys=False))
        else:
            self.send(self.document)


def make_app(token_ttl: float = 3600.0) -> tornado.web.Application:
    s = {"state": State(token_ttl)}
    return tornado.web.Application(
        [
            (r"/openapi.json", Document, {**s, "document": SPEC}),
            (r"/openapi.yaml", Document, {**s, "document": SPEC, "yaml_form": True}),
            (r"/broken.json", Document, {**s, "document": BROKEN}),
            (r"/stats", Stats, s),
            (r"/v1/items", Items, s),
            (r"/v1/items/(\d+)", Item, s),
            (r"/v1/whoami", Whoami, s),
            (r"/v1/basic", Basic, s),
            (r"/v1/key-location", KeyLocation, s),
            (r"/v1/echo", Echo, s),
            (r"/v1/things/([^/]+)", Collide, s),
            (r"/v1/tree", Tree, s),
            (r"/v1/hello", Hello, s),
            (r"/v1/slow", Slow, s),
            (r"/v1/token", Token, s),
        ]
    )


async def main_async(args: argparse.Namespace) -> None:
    if args.host not in ("127.0.0.1", "localhost"):
        raise SystemExit("test upstreams bind loopback only")
    sockets = tornado.netutil.bind_sockets(args.port, address=args.host)
    server = tornado.httpserver.HTTPServer(make_app(args.token_ttl))
    server.add_sockets(sockets)
    port = sockets[0].getsockname()[1]
    sys.stderr.write("rest_api upstream started (http)\n")
    print(f"LISTENING {port}", flush=True)
    await asyncio.Event().wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--token-ttl", type=float, default=3600.0, help="OAuth token lifetime (s)")
    asyncio.run(main_async(parser.parse_args()))


if __name__ == "__main__":
    main()
