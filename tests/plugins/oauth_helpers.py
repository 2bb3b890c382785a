"""An OAuth client driven over real HTTP: registration, login + consent, code exchange."""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx2

REDIRECT = "http://127.0.0.1:9/callback"


def pkce() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode()).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def redirect_params(r: httpx2.Response) -> dict[str, str]:
    assert r.status_code == 302, (r.status_code, r.text)
    location = r.headers["Location"]
    assert location.startswith(REDIRECT), location
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


@dataclass
class Client:
    http: httpx2.AsyncClient
    client_id: str
    secret: str | None = None

    async def consent(self, jwt: str, challenge: str, **extra: str) -> httpx2.Response:
        """GET the consent page with the user's JWT, then POST its approve form back."""
        query = {
            "response_type": "code",
            "client_id": self.client_id,
            "redirect_uri": REDIRECT,
            "code_challenge": challenge,
            "code_challenge_method": "S256",
            "state": "st-1",
            "token": jwt,
            **extra,
        }
        page = await self.http.get("/oauth/authorize", params=query)
        assert page.status_code == 200, page.text
        assert page.headers["Content-Type"].startswith("text/html")
        form = re.search(r'<form method="POST"[^>]*>(.*?)</form>', page.text, re.DOTALL)
        assert form is not None
        fields = dict(re.findall(r'name="([^"]+)" value="([^"]*)"', form.group(1)))
        assert fields["allow"] == "true"
        return await self.http.post("/oauth/authorize", data=fields)

    async def code(self, jwt: str, **extra: str) -> tuple[str, str]:
        verifier, challenge = pkce()
        params = redirect_params(await self.consent(jwt, challenge, **extra))
        assert params["state"] == "st-1"
        return params["code"], verifier

    async def token(self, **form: str) -> httpx2.Response:
        data = {"client_id": self.client_id, **form}
        if self.secret:
            data["client_secret"] = self.secret
        return await self.http.post("/oauth/token", data=data)

    async def exchange(self, jwt: str, **extra: str) -> dict[str, Any]:
        code, verifier = await self.code(jwt, **extra)
        r = await self.token(
            grant_type="authorization_code",
            code=code,
            redirect_uri=REDIRECT,
            code_verifier=verifier,
        )
        assert r.status_code == 200, r.text
        body: dict[str, Any] = r.json()
        return body


async def register(http: httpx2.AsyncClient, **meta: Any) -> tuple[Client, dict[str, Any]]:
    body = {"redirect_uris": [REDIRECT], "client_name": "Test client", **meta}
    r = await http.post("/oauth/register", json=body)
    assert r.status_code == 201, r.text
    reg = r.json()
    return Client(http, reg["client_id"], reg.get("client_secret")), reg
