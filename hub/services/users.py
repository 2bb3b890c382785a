"""Users: create, register, change a password, change a role, delete.

Managing users is for admin *users* (a leaked bearer key cannot mint accounts); changing
one's own password or registering someone needs a user login. Demoting a user or changing
their password bumps their ``token_version``, which ends every JWT issued before.
"""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING, Any

from hub.auth.access import owns_anything, require_user, require_user_admin
from hub.auth.passwords import check_password, hash_password, password_problems
from hub.auth.principal import Principal
from hub.auth.tokens import issue_token
from hub.config.models import User
from hub.errors import BadRequest, Conflict, NotFound, Unauthorized

if TYPE_CHECKING:
    from hub.app import Hub

log = logging.getLogger(__name__)

USERNAME = r"^[A-Za-z0-9][A-Za-z0-9_.@+-]{0,127}$"
"""Letters, digits and ``_.@+-``: safe in ``/{user}/mcp`` URLs, and never ``key:…``."""


def check_strength(password: str) -> None:
    """400 listing what the password lacks."""
    problems = password_problems(password)
    if problems:
        raise BadRequest(
            "Password does not meet security requirements",
            errors=[f"Password must contain {p}" for p in problems],
        )


def check_admin_name(username: str, is_admin: bool) -> None:
    """Configs without an owner belong to "admin"; a normal user by that name would own them."""
    if username == "admin" and not is_admin:
        raise BadRequest("The user 'admin' must remain an admin")


def admin_count(hub: Hub) -> int:
    """How many admins there are: the last one may be neither deleted nor demoted."""
    return sum(1 for u in hub.config.users.values() if u.is_admin)


def _user_or_404(hub: Hub, username: str) -> User:
    user = hub.config.users.get(username)
    if user is None:
        raise NotFound("User not found")
    return user


# --------------------------------------------------------------------- reads


def list_users(hub: Hub, principal: Principal) -> list[User]:
    """Every user (the caller must be an admin user)."""
    require_user_admin(principal)
    return list(hub.config.users.values())


def get_user(hub: Hub, principal: Principal, username: str) -> User:
    """One user; 404 when there is none by that name."""
    require_user_admin(principal)
    return _user_or_404(hub, username)


def user_stats(hub: Hub, principal: Principal) -> dict[str, int]:
    """MCPHub's counts of users, admins and the rest."""
    require_user_admin(principal)
    admins = admin_count(hub)
    total = len(hub.config.users)
    return {"totalUsers": total, "adminUsers": admins, "regularUsers": total - admins}


# --------------------------------------------------------------------- writes


async def _create(
    hub: Hub, principal: Principal, username: str, password: str, is_admin: bool
) -> User:
    if not re.match(USERNAME, username):
        raise BadRequest("Invalid username")
    if username in hub.config.users:
        raise Conflict("User already exists")
    check_strength(password)
    check_admin_name(username, is_admin)
    user = User(username=username, password=await hash_password(password), is_admin=is_admin)
    await hub.config.put_user(user, create=True)
    log.info("User %s created by %s (admin=%s)", user.username, principal.name, is_admin)
    return user


async def create_user(
    hub: Hub, principal: Principal, username: str, password: str, *, is_admin: bool = False
) -> User:
    """A new user, admin or not (admin users only)."""
    require_user_admin(principal)
    return await _create(hub, principal, username, password, is_admin)


async def register_user(
    hub: Hub, principal: Principal, username: str, password: str
) -> tuple[User, str]:
    """Any logged-in user may add a normal user (MCPHub has no open sign-up either);
    returns the new user and a token for them."""
    require_user(principal)
    if owns_anything(hub.config, username):
        # A deleted user's servers and groups still carry their name: whoever registered
        # it again would inherit them. Only an admin may recreate such a user.
        raise Conflict("User already exists")
    user = await _create(hub, principal, username, password, False)
    return user, issue_token(hub.jwt_secret, user.username, False, user.token_version)


async def change_password(hub: Hub, principal: Principal, current: str, new: str) -> str:
    """The caller's own password; earlier tokens stop working and a fresh one is returned.

    A wrong ``current`` raises ``Unauthorized``; the API counts those against the caller's
    address with the login budget, so a stolen JWT is no way to guess the password.
    """
    require_user(principal)
    user = _user_or_404(hub, principal.name)
    if not await check_password(current, user.password):
        raise Unauthorized("Current password is incorrect")
    check_strength(new)
    user = user.model_copy(
        update={"password": await hash_password(new), "token_version": user.token_version + 1}
    )
    await hub.config.put_user(user)
    log.info("User %s changed their password", user.username)
    return issue_token(hub.jwt_secret, user.username, user.is_admin, user.token_version)


async def update_user(
    hub: Hub,
    principal: Principal,
    username: str,
    *,
    is_admin: bool | None = None,
    new_password: str | None = None,
) -> User:
    """Change a user's role or password; a demotion or a new password ends their tokens."""
    require_user_admin(principal)
    if is_admin is None and new_password is None:
        raise BadRequest("Nothing to update: give isAdmin or newPassword")
    user = _user_or_404(hub, username)
    update: dict[str, Any] = {}
    bump = False
    if is_admin is not None and is_admin != user.is_admin:
        if not is_admin and admin_count(hub) <= 1:
            raise BadRequest("Cannot remove admin rights from the last admin")
        check_admin_name(username, is_admin)
        update["is_admin"] = is_admin
        bump = not is_admin
    if new_password is not None:
        check_strength(new_password)
        update["password"] = await hash_password(new_password)
        bump = True
    if bump:
        update["token_version"] = user.token_version + 1
    user = user.model_copy(update=update)
    await hub.config.put_user(user)
    log.info("User %s updated by %s (%s)", username, principal.name, ", ".join(update))
    return user


async def delete_user(hub: Hub, principal: Principal, username: str) -> None:
    """Delete a user: never yourself, never the last admin."""
    require_user_admin(principal)
    if username == principal.name:
        raise BadRequest("You cannot delete your own account")
    user = _user_or_404(hub, username)
    if user.is_admin and admin_count(hub) <= 1:
        raise BadRequest("Cannot delete the last admin")
    await hub.config.delete_user(username)
    log.info("User %s deleted by %s", username, principal.name)
