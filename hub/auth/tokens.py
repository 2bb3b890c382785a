"""JWT logins (secret, issue, decode) and bearer-key tokens (hash, mint, mask, compare)."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from pathlib import Path
from typing import Any

import jwt

TOKEN_LIFETIME_S = 24 * 3600


def load_jwt_secret(data_dir: Path, env_value: str | None) -> str:
    """``JWT_SECRET`` if given, else a random secret generated once and kept in the data dir."""
    if env_value:
        return env_value
    path = data_dir / "jwt_secret"
    if path.exists():
        return path.read_text().strip()
    data_dir.mkdir(parents=True, exist_ok=True)
    secret = secrets.token_hex(32)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(secret)
    tmp.chmod(0o600)
    tmp.replace(path)
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


def new_key_token() -> str:
    return "mcphub_" + secrets.token_urlsafe(32)


def mask_token(token: str) -> str:
    """What a key looks like after creation: enough to recognise, never enough to use."""
    if len(token) <= 8:
        return "*" * len(token)
    return f"{token[:4]}…{token[-4:]}"


def same_secret(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())
