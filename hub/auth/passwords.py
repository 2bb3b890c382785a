"""Password strength, bcrypt hashing and checking, off the event loop."""

from __future__ import annotations

import asyncio
import functools
import re
import secrets

import bcrypt

from hub.errors import BadRequest

BCRYPT_ROUNDS = 12
MAX_PASSWORD_BYTES = 72
"""bcrypt reads no further, so a longer password would be silently truncated."""


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
