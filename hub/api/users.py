"""Users: register, change password, admin CRUD on ``/api/users`` and ``/api/users-stats``.

Replies never carry a password hash. The rules (last admin, password strength, tokens
ended by a demotion or a new password) are in ``hub.services.users``.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field

from hub.api import auth as auth_api
from hub.api.api_spec import Op
from hub.api.base import APIHandler
from hub.auth.access import require_user, require_user_admin
from hub.auth.principal import Policy
from hub.auth.rate_limits import RateLimitedMixin, limiter_for, too_many
from hub.config.models import User
from hub.errors import Unauthorized
from hub.services import Body, users
from hub.services.users import USERNAME


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


class RegisterHandler(APIHandler):
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
        user, token = await users.register_user(self.hub, self.caller, body.username, body.password)
        self.send_json(
            {
                "success": True,
                "message": "User registered",
                "token": token,
                "user": {**public(user), "permissions": [""]},
            }
        )


class ChangePasswordHandler(RateLimitedMixin, APIHandler):
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
        wait = await failures.wait(ip)
        if wait is not None:
            raise too_many(wait)
        body = self.body_as(PasswordChange)
        try:
            token = await users.change_password(
                self.hub, self.caller, body.current_password, body.new_password
            )
        except Unauthorized:
            await failures.count(ip)
            raise
        self.send_json({"success": True, "message": "Password updated", "token": token})


class AdminUsersHandler(APIHandler):
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
        self.reply([public(u) for u in users.list_users(self.hub, self.caller)])

    async def post(self) -> None:
        body = self.body_as(NewUser)
        user = await users.create_user(
            self.hub, self.caller, body.username, body.password, is_admin=body.is_admin
        )
        self.reply(public(user), "User created", status=201)


class UserHandler(AdminUsersHandler):
    docs = {
        "GET": Op("Read one user"),
        "PUT": Op("Change a user's role or password; either ends their tokens", body=UserUpdate),
        "DELETE": Op("Delete a user (not yourself, not the last admin)"),
    }

    async def get(self, username: str) -> None:
        self.reply(public(users.get_user(self.hub, self.caller, username)))

    async def put(self, username: str) -> None:
        body = self.body_as(UserUpdate)
        user = await users.update_user(
            self.hub,
            self.caller,
            username,
            is_admin=body.is_admin,
            new_password=body.new_password,
        )
        self.reply(public(user), "User updated")

    async def delete(self, username: str) -> None:
        await users.delete_user(self.hub, self.caller, username)
        self.reply(message="User deleted")


class UserStatsHandler(AdminUsersHandler):
    docs = {"GET": Op("Count users and admins")}

    async def get(self) -> None:
        self.reply(users.user_stats(self.hub, self.caller))


default_handlers = [
    (r"/api/auth/register", RegisterHandler),
    (r"/api/auth/change-password", ChangePasswordHandler),
    (r"/api/users", UsersHandler),
    (r"/api/users/(?P<username>[^/]+)", UserHandler),
    (r"/api/users-stats", UserStatsHandler),
]
