"""An MCP upstream protected by OAuth, with its own small authorization server, on one port.

Resource server: ``/mcp`` (streamable HTTP; ``/sse`` + ``/messages/`` with ``--transport sse``)
wants a bearer token it issued and answers 401
with ``WWW-Authenticate: Bearer resource_metadata=...`` (RFC 9728) otherwise; a call of the
``admin_tool`` tool needs the ``admin`` scope and gets 403 ``insufficient_scope`` without it.
Authorization server: RFC 8414 metadata, ``/register`` (RFC 7591), ``/authorize`` (PKCE S256
required; consent is automatic: it redirects to the client's ``redirect_uri`` with a code),
``/token`` (authorization_code with PKCE, refresh_token with rotation). A client
``pre-registered`` (secret ``pre-secret``) exists from the start, for any redirect URI.
Events (``$UPSTREAM_EVENTS_FILE``): ``register <client>``, ``authorize <client> <scope>``,
``token <grant> <client>``, ``refused <reason>``.
Run: ``python -m tests.upstreams.oauth_protected --port N [--transport sse] [--token-ttl 3600]``.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import time
from typing import Any
from urllib.parse import urlencode

import anyio
import mcp.types as t
from mcp.server import ServerRequestContext
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from tests.upstreams._common import (
    UpstreamServer,
    record_event,
    serve_asgi,
    sse_app,
    transport_parser,
)

Ctx = ServerRequestContext[dict[str, Any]]
TOOLS = [
    t.Tool(name="hello", description="says hello", input_schema={"type": "object"}),
    t.Tool(name="admin_tool", description="needs the admin scope", input_schema={"type": "object"}),
]


class AuthServer:
    """Clients, codes and tokens in memory."""

    def __init__(self, base: str, token_ttl: int, path: str = "/mcp") -> None:
        self.base = base
        self.path = path
        self.token_ttl = token_ttl
        self.clients: dict[str, dict[str, Any]] = {
            "pre-registered": {"client_secret": "pre-secret", "redirect_uris": None}
        }
        self.codes: dict[str, dict[str, Any]] = {}
        self.access: dict[str, dict[str, Any]] = {}
        self.refresh: dict[str, dict[str, Any]] = {}

    def prm(self, request: Request) -> Response:
        return JSONResponse(
            {
                "resource": f"{self.base}{self.path}",
                "authorization_servers": [self.base],
                "scopes_supported": ["read", "admin"],
                "bearer_methods_supported": ["header"],
            }
        )

    def asm(self, request: Request) -> Response:
        return JSONResponse(
            {
                "issuer": self.base,
                "authorization_endpoint": f"{self.base}/authorize",
                "token_endpoint": f"{self.base}/token",
                "registration_endpoint": f"{self.base}/register",
                "response_types_supported": ["code"],
                "grant_types_supported": ["authorization_code", "refresh_token"],
                "code_challenge_methods_supported": ["S256"],
                "token_endpoint_auth_methods_supported": ["none", "client_secret_post"],
                "scopes_supported": ["read", "admin"],
            }
        )

    async def register(self, request: Request) -> Response:
        body = await request.json()
        client_id = "dyn-" + secrets.token_hex(6)
        self.clients[client_id] = {"client_secret": None, "redirect_uris": body["redirect_uris"]}
        record_event(f"register {client_id}")
        return JSONResponse({**body, "client_id": client_id}, status_code=201)

    def authorize(self, request: Request) -> Response:
        q = request.query_params
        client = self.clients.get(q.get("client_id", ""))
        uris = client and client["redirect_uris"]
        if client is None or (uris is not None and q.get("redirect_uri") not in uris):
            record_event("refused client")
            return JSONResponse({"error": "invalid_request"}, status_code=400)
        if q.get("code_challenge_method") != "S256" or not q.get("code_challenge"):
            record_event("refused pkce")
            return JSONResponse({"error": "invalid_request"}, status_code=400)
        code = secrets.token_urlsafe(16)
        scope = q.get("scope", "read")
        self.codes[code] = {
            "client_id": q["client_id"],
            "redirect_uri": q["redirect_uri"],
            "challenge": q["code_challenge"],
            "scope": scope,
            "resource": q.get("resource"),
        }
        record_event(f"authorize {q['client_id']} {scope}")
        reply = {"code": code, "state": q.get("state", ""), "iss": self.base}
        return RedirectResponse(f"{q['redirect_uri']}?{urlencode(reply)}", status_code=302)

    def issue(self, client_id: str, scope: str) -> dict[str, Any]:
        access, refresh = secrets.token_urlsafe(24), secrets.token_urlsafe(24)
        grant = {"client_id": client_id, "scope": scope, "expires": time.time() + self.token_ttl}
        self.access[access] = grant
        self.refresh[refresh] = grant
        return {
            "access_token": access,
            "token_type": "Bearer",
            "expires_in": self.token_ttl,
            "refresh_token": refresh,
            "scope": scope,
        }

    async def token(self, request: Request) -> Response:
        form = await request.form()
        grant_type = str(form.get("grant_type", ""))
        client_id = str(form.get("client_id", ""))
        client = self.clients.get(client_id)
        if client is None or client["client_secret"] not in (None, form.get("client_secret")):
            return self.refuse("invalid_client")
        if grant_type == "authorization_code":
            code = self.codes.pop(str(form.get("code", "")), None)
            verifier = str(form.get("code_verifier", ""))
            digest = hashlib.sha256(verifier.encode()).digest()
            challenge = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
            if code is None or code["client_id"] != client_id or code["challenge"] != challenge:
                return self.refuse("invalid_grant")
            if code["redirect_uri"] != form.get("redirect_uri"):
                return self.refuse("invalid_grant")
            scope = code["scope"]
        elif grant_type == "refresh_token":
            old = self.refresh.pop(str(form.get("refresh_token", "")), None)
            if old is None or old["client_id"] != client_id:
                return self.refuse("invalid_grant")
            scope = old["scope"]
        else:
            return self.refuse("unsupported_grant_type")
        record_event(f"token {grant_type} {client_id}")
        return JSONResponse(self.issue(client_id, scope), headers={"Cache-Control": "no-store"})

    def refuse(self, error: str) -> Response:
        record_event(f"refused {error}")
        return JSONResponse({"error": error}, status_code=400)

    def routes(self) -> list[Route]:
        return [
            Route(f"/.well-known/oauth-protected-resource{self.path}", self.prm),
            Route("/.well-known/oauth-protected-resource", self.prm),
            Route("/.well-known/oauth-authorization-server", self.asm),
            Route("/register", self.register, methods=["POST"]),
            Route("/authorize", self.authorize),
            Route("/token", self.token, methods=["POST"]),
        ]


class Protected:
    """The MCP paths behind the bearer check; everything else is the authorization server."""

    def __init__(self, auth: AuthServer, mcp_app: Any) -> None:
        self.auth = auth
        self.auth_app = Starlette(routes=auth.routes())
        self.mcp_app = mcp_app

    def challenge(self, status: int, extra: str = "") -> Response:
        meta = f'resource_metadata="{self.auth.base}/.well-known/oauth-protected-resource{self.auth.path}"'
        header = f"Bearer {extra}{meta}"
        return Response("unauthorized", status, {"WWW-Authenticate": header})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        mcp_paths = (self.auth.path, "/messages/")
        if scope["type"] != "http" or not scope["path"].startswith(mcp_paths):
            app = self.mcp_app if scope["type"] == "lifespan" else self.auth_app
            await app(scope, receive, send)
            return
        header = dict(scope["headers"]).get(b"authorization", b"").decode()
        grant = self.auth.access.get(header.removeprefix("Bearer "))
        if grant is None or grant["expires"] < time.time():
            record_event("refused token")
            await self.challenge(401)(scope, receive, send)
            return
        body = b""
        more = True
        while more:
            message = await receive()
            body += message.get("body", b"")
            more = message.get("more_body", False)
        if b'"admin_tool"' in body and "admin" not in grant["scope"].split():
            extra = 'error="insufficient_scope", scope="read admin", '
            await self.challenge(403, extra)(scope, receive, send)
            return
        sent = False

        async def replay() -> dict[str, Any]:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.mcp_app(scope, replay, send)


async def list_tools(ctx: Ctx, params: t.PaginatedRequestParams | None) -> t.ListToolsResult:
    return t.ListToolsResult(tools=TOOLS)


async def call_tool(ctx: Ctx, params: t.CallToolRequestParams) -> t.CallToolResult:
    return t.CallToolResult(content=[t.TextContent(text=f"{params.name}: ok")])


def main() -> None:
    p = transport_parser("OAuth-protected test upstream")
    p.add_argument("--token-ttl", type=int, default=3600)
    args = p.parse_args()
    if args.host != "127.0.0.1" or not args.port:
        raise SystemExit("needs --port (the metadata names the URL) on 127.0.0.1")
    server = UpstreamServer(
        "protected", version="1.0.0", on_list_tools=list_tools, on_call_tool=call_tool
    )
    base = f"http://127.0.0.1:{args.port}"
    if args.transport == "sse":
        auth, mcp_app = AuthServer(base, args.token_ttl, "/sse"), sse_app(server)
    else:
        auth, mcp_app = AuthServer(base, args.token_ttl), server.streamable_http_app(host=args.host)
    app = Protected(auth, mcp_app)
    anyio.run(serve_asgi, app, args.host, args.port)


if __name__ == "__main__":
    main()
