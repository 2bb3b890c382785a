"""A small OpenID Connect provider (and GitHub-like user API) on 127.0.0.1 for social login
tests: discovery, authorize (approves at once, as a logged-in user would), token (checks
PKCE), JWKS, and ``/user``. ``audience`` can be changed to mint ID tokens for someone else."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import jwt
import tornado.httpserver
import tornado.netutil
import tornado.web
from cryptography.hazmat.primitives.asymmetric import rsa


@dataclass
class FakeIdp:
    subject: str = "sub-123"
    login: str = "carol@example.test"
    audience: str | None = None
    key: Any = field(default_factory=lambda: rsa.generate_private_key(65537, 2048))
    codes: dict[str, dict[str, str]] = field(default_factory=dict)
    url: str = ""
    server: tornado.httpserver.HTTPServer | None = None

    def start(self) -> None:
        app = tornado.web.Application(
            [
                (r"/.well-known/openid-configuration", Discovery, {"idp": self}),
                (r"/authorize", Authorize, {"idp": self}),
                (r"/token", Token, {"idp": self}),
                (r"/jwks", Jwks, {"idp": self}),
                (r"/user", UserApi, {"idp": self}),
            ]
        )
        sockets = tornado.netutil.bind_sockets(0, "127.0.0.1")
        self.server = tornado.httpserver.HTTPServer(app)
        self.server.add_sockets(sockets)
        self.url = f"http://127.0.0.1:{sockets[0].getsockname()[1]}"

    def stop(self) -> None:
        if self.server is not None:
            self.server.stop()

    def id_token(self, client_id: str, nonce: str) -> str:
        now = int(time.time())
        claims = {
            "iss": self.url,
            "sub": self.subject,
            "aud": self.audience or client_id,
            "iat": now,
            "exp": now + 300,
            "nonce": nonce,
            "email": self.login,
        }
        return jwt.encode(claims, self.key, algorithm="RS256", headers={"kid": "k1"})


class Base(tornado.web.RequestHandler):
    def initialize(self, idp: FakeIdp) -> None:
        self.idp = idp


class Discovery(Base):
    def get(self) -> None:
        url = self.idp.url
        self.write(
            {
                "issuer": url,
                "authorization_endpoint": f"{url}/authorize",
                "token_endpoint": f"{url}/token",
                "jwks_uri": f"{url}/jwks",
            }
        )


class Authorize(Base):
    def get(self) -> None:
        code = secrets.token_hex(8)
        self.idp.codes[code] = {
            "challenge": self.get_argument("code_challenge"),
            "nonce": self.get_argument("nonce", ""),
            "client_id": self.get_argument("client_id"),
            "redirect_uri": self.get_argument("redirect_uri"),
        }
        query = urlencode({"code": code, "state": self.get_argument("state")})
        self.redirect(f"{self.get_argument('redirect_uri')}?{query}")


class Token(Base):
    def post(self) -> None:
        grant = self.idp.codes.pop(self.get_argument("code"), None)
        verifier = self.get_argument("code_verifier", "")
        digest = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
        if (
            grant is None
            or digest.rstrip(b"=").decode() != grant["challenge"]
            or self.get_argument("redirect_uri") != grant["redirect_uri"]
        ):
            self.set_status(400)
            self.write({"error": "invalid_grant"})
            return
        self.write(
            {
                "access_token": "idp-access-" + secrets.token_hex(8),
                "token_type": "Bearer",
                "id_token": self.idp.id_token(grant["client_id"], grant["nonce"]),
            }
        )


class Jwks(Base):
    def get(self) -> None:
        public = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(self.idp.key.public_key()))
        self.write({"keys": [{**public, "kid": "k1", "use": "sig", "alg": "RS256"}]})


class UserApi(Base):
    def get(self) -> None:
        if not self.request.headers.get("Authorization", "").startswith("Bearer idp-access-"):
            self.set_status(401)
            return
        self.write({"id": 4242, "login": "octo-dev", "email": None})
