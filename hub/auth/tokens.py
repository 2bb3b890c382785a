"""JWT logins (secret, issue, decode) and bearer-key tokens (hash, mint, mask, compare)."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from pathlib import Path
from typing import Any

import jwt

from hub.config.store import Conflict, Store

TOKEN_LIFETIME_S = 24 * 3600


JWT_SECRET_KEY = "jwt"
"""The key of the generated JWT secret in the store's ``secrets`` collection."""


async def shared_jwt_secret(store: Store, data_dir: Path, env_value: str | None) -> str:
    """``JWT_SECRET`` if given, else the secret kept in the store, made once.

    Every instance sharing a store signs with the same secret, so a login on one is valid on
    all. The first instance to start creates it atomically (``create=True``); one that loses
    that race reads the winner's. A secret an older hub kept in the data dir is adopted.
    """
    if env_value:
        return env_value
    found = await store.get("secrets", JWT_SECRET_KEY)
    if found and found.get("value"):
        return str(found["value"])
    path = data_dir / "jwt_secret"
    secret = path.read_text().strip() if path.exists() else secrets.token_hex(32)
    try:
        await store.put("secrets", JWT_SECRET_KEY, {"value": secret}, create=True)
    except Conflict:
        found = await store.get("secrets", JWT_SECRET_KEY)
        secret = str((found or {}).get("value") or secret)
    return secret


def issue_token(secret: str, username: str, is_admin: bool, version: int) -> str:
    now = int(time.time())
    payload = {
        "user": {"username": username, "isAdmin": is_admin},
        "ver": version,
        "iat": now,
        "exp": now + TOKEN_LIFETIME_S,
    }
    return jwt.encode(payload, secret, algorithm="HS256")


def decode_token(secret: str, token: str) -> dict[str, Any] | None:
    """The claims of a valid, unexpired token signed by us; None otherwise."""
    try:
        claims = jwt.decode(token, secret, algorithms=["HS256"], options={"require": ["exp"]})
    except jwt.PyJWTError:
        return None
    return claims if isinstance(claims.get("user"), dict) else None


# --------------------------------------------------------------------- bearer keys


def hash_key(token: str) -> str:
    """Keys are long random strings, so one SHA-256 is enough to store them safely."""
    return hashlib.sha256(token.encode()).hexdigest()


def request_token_hash(request: Any, token: str) -> str:
    """``hash_key(token)`` for a credential of this request, made once: the OAuth and the
    bearer-key authenticators both look the request's token up by its hash. Kept on the
    request only, so no token outlives its request in memory."""
    memo: tuple[str, str] | None = getattr(request, "_mcphub_token_hash", None)
    if memo is not None and memo[0] == token:
        return memo[1]
    digest = hash_key(token)
    request._mcphub_token_hash = (token, digest)
    return digest


def new_key_token() -> str:
    return "mcphub_" + secrets.token_urlsafe(32)


def mask_token(token: str) -> str:
    """What a key looks like after creation: enough to recognise, never enough to use."""
    if len(token) <= 8:
        return "*" * len(token)
    return f"{token[:4]}…{token[-4:]}"


def same_secret(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())
