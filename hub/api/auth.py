"""Login and the current user: ``POST /api/auth/login``, ``GET /api/auth/user``."""

from __future__ import annotations

from pydantic import BaseModel, Field

from hub.api.base import APIHandler
from hub.auth.passwords import check_password, hash_password, needs_rehash
from hub.auth.principal import Policy
from hub.auth.rate_limits import Limit, RateLimitedMixin, limiter_for, too_many
from hub.auth.tokens import issue_token
from hub.errors import Unauthorized

LOGIN_FAILURES = Limit(10, 60.0)
"""Failed password checks allowed per client IP per minute; then 429 with Retry-After."""


class LoginBody(BaseModel):
    username: str = Field(min_length=1, max_length=256)
    password: str = Field(min_length=1, max_length=1024)


class LoginHandler(RateLimitedMixin, APIHandler):
    """Exchange a username and password for a 24-hour JWT."""

    policy = Policy.PUBLIC

    async def post(self) -> None:
        failures = limiter_for(self.hub, "password-failures", LOGIN_FAILURES)
        ip = self.request.remote_ip or "?"
        wait = await failures.wait(ip)
        if wait is not None:
            raise too_many(wait)
        body = self.body_as(LoginBody)
        await self.hub.admin_ready()
        user = self.hub.config.users.get(body.username)
        # The same answer, after the same work, for an unknown user and a wrong password.
        if not await check_password(body.password, user.password if user else None) or not user:
            await failures.count(ip)
            raise Unauthorized("Invalid credentials")
        if needs_rehash(user.password):
            user = user.model_copy(update={"password": await hash_password(body.password)})
            await self.hub.config.put_user(user)
        token = issue_token(self.hub.jwt_secret, user.username, user.is_admin, user.token_version)
        self.send_json(
            {
                "success": True,
                "message": "Login successful",
                "token": token,
                "user": {
                    "username": user.username,
                    "isAdmin": user.is_admin,
                    "permissions": ["*", "x"] if user.is_admin else [""],
                },
                "isUsingDefaultPassword": False,
            }
        )


class CurrentUserHandler(APIHandler):
    """Who the token belongs to."""

    policy = Policy.AUTHENTICATED

    async def get(self) -> None:
        p = self.caller
        self.send_json(
            {
                "success": True,
                "user": {"username": p.name, "isAdmin": p.is_admin, "permissions": p.permissions},
            }
        )


default_handlers = [
    (r"/api/auth/login", LoginHandler),
    (r"/api/auth/user", CurrentUserHandler),
]
