"""``mcphub admin reset-password``: access back for someone who lost every password, in
the data dir when the hub is stopped, or through the running hub's API."""

from __future__ import annotations

import asyncio
import json
import secrets
import urllib.error
import urllib.request
from urllib.parse import quote

from hub.app import Hub
from hub.auth.passwords import hash_password, password_problems
from hub.auth.tokens import JWT_SECRET_KEY, issue_token
from hub.commands import CommandError
from hub.config.models import User


def generated_password() -> str:
    """A random password that meets the password policy."""
    while True:
        password = secrets.token_urlsafe(18) + "-"
        if not password_problems(password):
            return password


def check_policy(password: str, what: str) -> None:
    """``CommandError`` saying what ``password`` lacks under the API's password policy."""
    problems = password_problems(password)
    lacks = [p for p in problems if not p.startswith("at most")]
    if lacks:
        raise CommandError(f"{what} must contain {' and '.join(lacks)}")
    if problems:
        raise CommandError(f"{what} must be {problems[-1]}")


async def reset_password(hub: Hub, username: str, password: str) -> None:
    """Give ``username`` a new password; their current logins (JWTs) end."""
    user = hub.config.users.get(username)
    if user is None:
        known = ", ".join(sorted(hub.config.users)) or "none"
        raise CommandError(f"no user {username!r} (users: {known})")
    hashed = await hash_password(password)
    update = {"password": hashed, "token_version": user.token_version + 1}
    await hub.config.put_user(user.model_copy(update=update))


async def _admin_token(hub: Hub) -> str:
    """A short-lived login token of an admin, signed with the running hub's secret: who can
    read the data dir (the secret, the database) can act as an admin anyway."""
    admins = sorted((u for u in hub.config.users.values() if u.is_admin), key=_admin_first)
    if not admins:
        raise CommandError("the configuration has no admin user to act as")
    secret = hub.options.jwt_secret
    if not secret:
        found = await hub.store.get("secrets", JWT_SECRET_KEY)  # where the hub keeps it
        secret = str((found or {}).get("value") or "")
    if not secret:
        raise CommandError(
            "cannot reach the running hub's signing secret: set JWT_SECRET as the hub has it"
        )
    admin = admins[0]
    return issue_token(secret, admin.username, True, admin.token_version)


def _admin_first(user: User) -> tuple[bool, str]:
    return (user.username != "admin", user.username)


async def reset_through_hub(hub: Hub, url: str, username: str, password: str) -> None:
    """Reset the password with ``PUT /api/users/{username}`` on the hub running at ``url``
    (``hub`` is this data dir opened to read who the admins are)."""
    token = await _admin_token(hub)
    target = f"{url}{hub.base_path}/api/users/{quote(username, safe='')}"
    body = json.dumps({"newPassword": password}).encode()
    request = urllib.request.Request(
        target,
        data=body,
        method="PUT",
        headers={"Content-Type": "application/json", "x-auth-token": token},
    )
    try:
        await asyncio.to_thread(urllib.request.urlopen, request, timeout=30)
    except urllib.error.HTTPError as exc:
        message = _message(exc.read())
        if exc.code == 404:
            raise CommandError(f"no user {username!r} on the running hub at {url}") from exc
        if exc.code == 401:
            message = "it refused the token signed with this data dir's secret (set JWT_SECRET)"
        raise CommandError(f"the running hub at {url} refused: {message}") from exc
    except (urllib.error.URLError, OSError) as exc:
        raise CommandError(f"cannot reach the running hub at {url}: {exc}") from exc


def _message(raw: bytes) -> str:
    try:
        return str(json.loads(raw).get("message") or "error")
    except (ValueError, AttributeError):
        return "error"
