"""``mcphub admin reset-password``: access back for someone who lost every password."""

from __future__ import annotations

import secrets

from hub.app import Hub
from hub.auth.passwords import hash_password, password_problems
from hub.commands import CommandError


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
