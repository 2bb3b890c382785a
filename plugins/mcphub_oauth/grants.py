"""Authorization codes, access and refresh tokens: issue, check, rotate, revoke.

Codes live in memory (short-lived, single use). Token pairs are stored through the hub's
store under the hash of the access token, with the refresh token's hash beside it; the
plaintext is in the token reply only. A pair names its user, the user's token version and
admin flag at issue: deleting the user, changing the password (which bumps the version) or
demoting an admin ends it.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import time
import weakref
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from hub.plugin_api import Hub, hash_key, same_secret


class OAuthError(Exception):
    """An OAuth error reply: ``{error, error_description}`` with its status."""

    def __init__(self, error: str, description: str, status: int = 400) -> None:
        super().__init__(description)
        self.error = error
        self.description = description
        self.status = status


@dataclass
class Code:
    """An authorization code's grant, kept until it is exchanged or expires."""

    client_id: str
    username: str
    redirect_uri: str
    scope: str
    challenge: str
    resource: str
    expires: float
    user_version: int
    admin: bool
    used: bool = False
    issued: list[str] = field(default_factory=list)
    """Hashes of the access tokens issued from it (revoked if it is presented again)."""


@dataclass
class State:
    """One hub's in-memory OAuth state."""

    codes: dict[str, Code] = field(default_factory=dict)


_states: weakref.WeakKeyDictionary[Hub, State] = weakref.WeakKeyDictionary()


def state(hub: Hub) -> State:
    found = _states.get(hub)
    if found is None:
        found = _states[hub] = State()
    return found


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).isoformat().replace("+00:00", "Z")


def _ts(value: Any) -> float:
    if isinstance(value, int | float):
        return float(value)
    try:
        return datetime.fromisoformat(str(value)).timestamp()
    except ValueError:
        return 0.0


def pkce_matches(verifier: str, challenge: str) -> bool:
    digest = hashlib.sha256(verifier.encode("ascii", "replace")).digest()
    computed = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
    return same_secret(computed, challenge)


# ------------------------------------------------------------------ codes


def new_code(hub: Hub, grant: Code) -> str:
    codes = state(hub).codes
    now = time.time()
    for key in [k for k, c in codes.items() if c.expires < now - 600]:
        codes.pop(key, None)  # used and expired codes are forgotten after ten more minutes
    code = secrets.token_hex(32)
    codes[hash_key(code)] = grant
    return code


async def redeem_code(hub: Hub, code: str, client_id: str) -> Code:
    """The code's grant, marked used; a second use revokes what the first issued."""
    grant = state(hub).codes.get(hash_key(code))
    if grant is None or grant.client_id != client_id:
        raise OAuthError("invalid_grant", "authorization code is invalid")
    if grant.used:
        for key in grant.issued:
            await hub.config.delete_oauth_token(key)
        grant.issued.clear()
        raise OAuthError("invalid_grant", "authorization code was already used")
    if grant.expires < time.time():
        raise OAuthError("invalid_grant", "authorization code has expired")
    grant.used = True
    return grant


# ------------------------------------------------------------------ tokens


async def issue(
    hub: Hub,
    *,
    client_id: str,
    username: str,
    scope: str,
    resource: str,
    user_version: int,
    admin: bool,
) -> tuple[str, dict[str, Any]]:
    """A new token pair: returns the access token's store key and the token reply."""
    cfg = hub.config.system.oauth_server
    access, refresh = secrets.token_hex(32), secrets.token_hex(32)
    now = time.time()
    for old_key, old in list(hub.config.oauth_tokens.items()):
        if (
            _ts(old.get("refreshTokenExpiresAt")) < now
            and _ts(old.get("accessTokenExpiresAt")) < now
        ):
            await hub.config.delete_oauth_token(old_key)  # nothing left to use in that pair
    key = hash_key(access)
    await hub.config.put_oauth_token(
        key,
        {
            "accessTokenHash": key,
            "accessTokenExpiresAt": _iso(now + cfg.access_token_lifetime),
            "refreshTokenHash": hash_key(refresh),
            "refreshTokenExpiresAt": _iso(now + cfg.refresh_token_lifetime),
            "scope": scope,
            "clientId": client_id,
            "username": username,
            "resource": resource,
            "userVersion": user_version,
            "admin": admin,
        },
    )
    reply = {
        "access_token": access,
        "token_type": "Bearer",
        "expires_in": cfg.access_token_lifetime,
        "refresh_token": refresh,
        "scope": scope,
    }
    return key, reply


def user_still_valid(hub: Hub, doc: dict[str, Any]) -> bool:
    """The token's user exists, kept its password and, if it was an admin, still is."""
    user = hub.config.users.get(str(doc.get("username")))
    if user is None:
        return False
    if "userVersion" in doc and doc["userVersion"] != user.token_version:
        return False
    return not (doc.get("admin") and not user.is_admin)


def access_record(hub: Hub, token: str, digest: str | None = None) -> dict[str, Any] | None:
    """The live record of an access token, or None (unknown, expired, user gone);
    ``digest`` is its ``hash_key`` when the caller has it already."""
    doc = hub.config.oauth_tokens.get(digest or hash_key(token))
    if doc is None or _ts(doc.get("accessTokenExpiresAt")) < time.time():
        return None
    if doc.get("clientId") not in hub.config.oauth_clients:
        return None
    return doc if user_still_valid(hub, doc) else None


def refresh_record(hub: Hub, token: str) -> tuple[str, dict[str, Any]] | None:
    wanted = hash_key(token)
    for key, doc in hub.config.oauth_tokens.items():
        if same_secret(str(doc.get("refreshTokenHash", "")), wanted):
            if _ts(doc.get("refreshTokenExpiresAt")) < time.time():
                return None
            return key, doc
    return None


async def revoke(hub: Hub, token: str, client_id: str) -> None:
    """RFC 7009: end the pair ``token`` (access or refresh) belongs to, if it is the client's."""
    key = hash_key(token)
    doc = hub.config.oauth_tokens.get(key)
    if doc is None:
        found = refresh_record(hub, token)
        key, doc = found if found else (key, None)
    if doc is not None and doc.get("clientId") == client_id:
        await hub.config.delete_oauth_token(key)


async def forget_user(hub: Hub, username: str) -> None:
    """Delete every token pair of a user (the user was deleted)."""
    for key, doc in list(hub.config.oauth_tokens.items()):
        if doc.get("username") == username:
            await hub.config.delete_oauth_token(key)
