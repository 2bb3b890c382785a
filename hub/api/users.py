"""Users: register, change password, admin CRUD on ``/api/users`` and ``/api/users-stats``.

Replies never carry a password hash. Demoting a user or changing their password bumps
their ``token_version``, which ends every JWT issued before.
"""

from __future__ import annotations

import logging
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

from hub.api import auth as auth_api
from hub.api.api_spec import Op
from hub.api.base import APIHandler
from hub.auth.access import owns_anything, require_user, require_user_admin
from hub.auth.passwords import check_password, hash_password, password_problems
from hub.auth.principal import Policy
from hub.auth.rate_limits import RateLimitedMixin, limiter_for, too_many
from hub.auth.tokens import issue_token
from hub.config.models import User
from hub.errors import BadRequest, Conflict, NotFound, Unauthorized

log = logging.getLogger(__name__)

USERNAME = r"^[A-Za-z0-9][A-Za-z0-9_.@+-]{0,127}$"
"""Letters, digits and ``_.@+-``: safe in ``/{user}/mcp`` URLs, and never ``key:…``."""


class Body(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="ignore")


class NewUser(Body):
    username: str = Field(pattern=USERNAME)
    password: str = Field(min_length=1, max_length=1024)
    is_admin: bool = False


class UserUpdate(Body):
    is_admin: bool | None = None
    new_password: str | None = Field(None, min_length=1, max_length=1024)


class PasswordChange(Body):
    current_password: str = Field(min_length=1, max_length=1024)
    new_password: str = Field(min_length=1, max_length=1024)


def public(user: User) -> dict[str, Any]:
    """What the API shows of a user: never the hash, never the token version."""
    return {"username": user.username, "isAdmin": user.is_admin}


def check_strength(password: str) -> None:
    problems = password_problems(password)
    if problems:
        raise BadRequest(
            "Password does not meet security requirements",
            errors=[f"Password must contain {p}" for p in problems],
        )


def check_admin_name(username: str, is_admin: bool) -> None:
    # Configs without an owner belong to "admin"; a normal user by that name would own them.
    if username == "admin" and not is_admin:
        raise BadRequest("The user 'admin' must remain an admin")


class UsersMixin(APIHandler):
    def users(self) -> dict[str, User]:
        return self.hub.config.users

    def user_or_404(self, username: str) -> User:
        user = self.users().get(username)
        if user is None:
            raise NotFound("User not found")
        return user

    def admin_count(self) -> int:
        return sum(1 for u in self.users().values() if u.is_admin)

    async def create(self, body: NewUser, *, is_admin: bool) -> User:
        if body.username in self.users():
            raise Conflict("User already exists")
        check_strength(body.password)
        check_admin_name(body.username, is_admin)
        user = User(
            username=body.username, password=await hash_password(body.password), is_admin=is_admin
        )
        await self.hub.config.put_user(user, create=True)
        log.info("User %s created by %s (admin=%s)", user.username, self.caller.name, is_admin)
        return user


class RegisterHandler(UsersMixin):
    """Any logged-in user may add a normal user (MCPHub has no open sign-up either)."""

    policy = Policy.AUTHENTICATED
    docs = {
        "POST": Op(
            "Add a normal user (never an admin); returns their token",
            body=NewUser,
            errors=(403, 409),
        )
    }

    async def post(self) -> None:
        require_user(self.caller)
        body = self.body_as(NewUser)
        if owns_anything(self.hub.config, body.username):
            # A deleted user's servers and groups still carry their name: whoever registered
            # it again would inherit them. Only an admin may recreate such a user.
            raise Conflict("User already exists")
        user = await self.create(body, is_admin=False)
        token = issue_token(self.hub.jwt_secret, user.username, False, user.token_version)
        self.send_json(
            {
                "success": True,
                "message": "User registered",
                "token": token,
                "user": {**public(user), "permissions": [""]},
            }
        )


class ChangePasswordHandler(RateLimitedMixin, UsersMixin):
    """The caller's own password; old tokens stop working, a fresh one is returned."""

    policy = Policy.AUTHENTICATED
    docs = {
        "POST": Op(
            "Change your own password; earlier tokens stop working, a new one is returned",
            body=PasswordChange,
            errors=(403, 429),
        )
    }

    async def post(self) -> None:
        require_user(self.caller)
        # A stolen JWT must not become a way to guess the password: same budget as login.
        failures = limiter_for(self.hub, "password-failures", auth_api.LOGIN_FAILURES)
        ip = self.request.remote_ip or "?"
        wait = failures.retry_after(ip)
        if wait is not None:
            raise too_many(wait)
        body = self.body_as(PasswordChange)
        user = self.user_or_404(self.caller.name)
        if not await check_password(body.current_password, user.password):
            failures.add(ip)
            raise Unauthorized("Current password is incorrect")
        check_strength(body.new_password)
        user = user.model_copy(
            update={
                "password": await hash_password(body.new_password),
                "token_version": user.token_version + 1,
            }
        )
        await self.hub.config.put_user(user)
        log.info("User %s changed their password", user.username)
        token = issue_token(self.hub.jwt_secret, user.username, user.is_admin, user.token_version)
        self.send_json({"success": True, "message": "Password updated", "token": token})


class AdminUsersHandler(UsersMixin):
    """Admin users only: bearer keys get 403 here even with all access."""

    policy = Policy.ADMIN

    async def prepare(self) -> None:
        await super().prepare()
        require_user_admin(self.caller)


class UsersHandler(AdminUsersHandler):
    docs = {
        "GET": Op("List users (name and role only)"),
        "POST": Op("Create a user", body=NewUser, status=201, errors=(409,)),
    }

    async def get(self) -> None:
        self.reply([public(u) for u in self.users().values()])

    async def post(self) -> None:
        body = self.body_as(NewUser)
        user = await self.create(body, is_admin=body.is_admin)
        self.reply(public(user), "User created", status=201)


class UserHandler(AdminUsersHandler):
    docs = {
        "GET": Op("Read one user"),
        "PUT": Op("Change a user's role or password; either ends their tokens", body=UserUpdate),
        "DELETE": Op("Delete a user (not yourself, not the last admin)"),
    }

    async def get(self, username: str) -> None:
        self.reply(public(self.user_or_404(username)))

    async def put(self, username: str) -> None:
        body = self.body_as(UserUpdate)
        if body.is_admin is None and body.new_password is None:
            raise BadRequest("Nothing to update: give isAdmin or newPassword")
        user = self.user_or_404(username)
        update: dict[str, Any] = {}
        bump = False
        if body.is_admin is not None and body.is_admin != user.is_admin:
            if not body.is_admin and self.admin_count() <= 1:
                raise BadRequest("Cannot remove admin rights from the last admin")
            check_admin_name(username, body.is_admin)
            update["is_admin"] = body.is_admin
            bump = bump or not body.is_admin
        if body.new_password is not None:
            check_strength(body.new_password)
            update["password"] = await hash_password(body.new_password)
            bump = True
        if bump:
            update["token_version"] = user.token_version + 1
        user = user.model_copy(update=update)
        await self.hub.config.put_user(user)
        log.info("User %s updated by %s (%s)", username, self.caller.name, ", ".join(update))
        self.reply(public(user), "User updated")

    async def delete(self, username: str) -> None:
        if username == self.caller.name:
            raise BadRequest("You cannot delete your own account")
        user = self.user_or_404(username)
        if user.is_admin and self.admin_count() <= 1:
            raise BadRequest("Cannot delete the last admin")
        await self.hub.config.delete_user(username)
        log.info("User %s deleted by %s", username, self.caller.name)
        self.reply(message="User deleted")


class UserStatsHandler(AdminUsersHandler):
    docs = {"GET": Op("Count users and admins")}

    async def get(self) -> None:
        admins = self.admin_count()
        total = len(self.users())
        self.reply({"totalUsers": total, "adminUsers": admins, "regularUsers": total - admins})


default_handlers = [
    (r"/api/auth/register", RegisterHandler),
    (r"/api/auth/change-password", ChangePasswordHandler),
    (r"/api/users", UsersHandler),
    (r"/api/users/(?P<username>[^/]+)", UserHandler),
    (r"/api/users-stats", UserStatsHandler),
]
