"""Who is calling (Principal), what a route requires (Policy), passwords, JWTs and key hashes."""

from __future__ import annotations

import asyncio
import enum
import functools
import hashlib
import hmac
import re
import secrets
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import bcrypt
import jwt

from hub.errors import BadRequest

BCRYPT_ROUNDS = 12
TOKEN_LIFETIME_S = 24 * 3600

MAX_PASSWORD_BYTES = 72
"""bcrypt reads no further, so a longer password would be silently truncated."""


class Policy(enum.Enum):
    """What a route requires of its caller. Every route declares one."""

    PUBLIC = "public"
    """Anyone, no credentials."""
    AUTHENTICATED = "authenticated"
    """Any valid principal."""
    OWNER = "owner"
    """Any valid principal; the handler limits it to what the principal owns."""
    ADMIN = "admin"
    """An admin user, or an all-access bearer key."""


@dataclass(frozen=True)
class Principal:
    """The caller of a request after authentication."""

    name: str
    is_admin: bool
    kind: str = "user"
    """``user`` (JWT), ``key`` (bearer key), ``oauth`` (hub-issued access token)."""
    key_id: str | None = None
    access_type: str = "all"
    allowed_groups: tuple[str, ...] = ()
    allowed_servers: tuple[str, ...] = ()
    claims: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)

    @property
    def permissions(self) -> list[str]:
        """MCPHub's permission list: ``['*', 'x']`` for admins, ``['']`` otherwise."""
        return ["*", "x"] if self.is_admin else [""]

    def owns(self, owner: str | None) -> bool:
        """Admins own everything; users own what names them (unowned means ``admin``)."""
        return self.is_admin or (owner or "admin") == self.name


# --------------------------------------------------------------------- passwords

_STRENGTH = (
    (re.compile(r".{8,}", re.DOTALL), "at least 8 characters"),
    (re.compile(r"[A-Za-z]"), "at least one letter"),
    (re.compile(r"\d"), "at least one digit"),
    (re.compile(r"[^A-Za-z0-9]"), "at least one special character"),
)


def password_problems(password: str) -> list[str]:
    """What a new password lacks; empty when it is strong enough."""
    problems = [text for pattern, text in _STRENGTH if not pattern.search(password)]
    if len(password.encode()) > MAX_PASSWORD_BYTES:
        problems.append(f"at most {MAX_PASSWORD_BYTES} bytes")
    return problems


def _hash_sync(password: str) -> str:
    return bcrypt.hashpw(password.encode(), bcrypt.gensalt(BCRYPT_ROUNDS)).decode()


def _check_sync(password: str, hashed: str) -> bool:
    raw = password.encode()
    if not hashed.startswith("$2") or len(raw) > 72:
        return False
    try:
        return bcrypt.checkpw(raw, hashed.encode())
    except ValueError:
        return False


async def hash_password(password: str) -> str:
    """bcrypt, so imported MCPHub hashes and ours verify the same way; off the event loop."""
    if len(password.encode()) > MAX_PASSWORD_BYTES:
        raise BadRequest(f"Password must be at most {MAX_PASSWORD_BYTES} bytes")
    return await asyncio.to_thread(_hash_sync, password)


async def check_password(password: str, hashed: str | None) -> bool:
    """Verify a password; with no hash (unknown user) spend the same time and say no, so the
    answer's timing does not tell which usernames exist."""
    if hashed is None:
        await asyncio.to_thread(_check_sync, password, _dummy_hash())
        return False
    return await asyncio.to_thread(_check_sync, password, hashed)


@functools.cache
def _dummy_hash() -> str:
    return _hash_sync(secrets.token_urlsafe(16))


def needs_rehash(hashed: str) -> bool:
    """True for hashes weaker than ours (MCPHub uses cost 10)."""
    try:
        return int(hashed.split("$")[2]) < BCRYPT_ROUNDS
    except (IndexError, ValueError):
        return True


# --------------------------------------------------------------------- JWT


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
