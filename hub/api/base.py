"""The base of every ``/api`` handler: identity, then one authorization call, JSON bodies,
one error envelope."""

from __future__ import annotations

import json
import logging
from typing import TYPE_CHECKING, Any, TypeVar

import tornado.web
from pydantic import BaseModel, ValidationError

from hub.auth import rules
from hub.auth.authorize import authorize
from hub.auth.identity import identify, sent_credentials
from hub.auth.permissions import Action, Resource
from hub.auth.principal import Policy, Principal
from hub.config.system import parse_size
from hub.errors import (
    BadRequest,
    HubError,
    NotFound,
    PayloadTooLarge,
    Unauthorized,
    error_body,
    validation_message,
)

if TYPE_CHECKING:
    from hub.app import Hub

log = logging.getLogger(__name__)
M = TypeVar("M", bound=BaseModel)

MAX_JSON_DEPTH = 64
"""Deepest nesting an ``/api`` body may have. No configuration needs more, and a body that
parses but nests hundreds deep would exhaust the stack later (validation, storing, replying)."""
TOO_DEEP = f"Invalid JSON in body of request: nested deeper than {MAX_JSON_DEPTH} levels"


def nesting_depth(value: Any) -> int:
    """How deep lists and objects nest in a parsed JSON value (a scalar is 0), iteratively."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        depth += 1
        if depth > deepest:
            deepest = depth
            if deepest > MAX_JSON_DEPTH:
                return deepest
        stack.extend((child, depth) for child in children)
    return deepest


class APIHandler(tornado.web.RequestHandler):
    """JSON in, JSON out. Subclasses set ``policy`` (one Policy, or one per HTTP method).

    ``prepare`` asks who is calling (``hub.auth.identity``), then asks the one decision
    point (``hub.auth.authorize``) whether they may do ``action`` on this route; the route's
    policy travels with the question, and the core rules read it.
    """

    policy: Policy | dict[str, Policy] = Policy.ADMIN
    action: Action = Action.USE_API
    """What calling this route counts as, for ``permission_allowed``."""
    principal: Principal | None = None

    def initialize(self, hub: Hub) -> None:
        self.hub = hub

    def compute_etag(self) -> str | None:
        return None

    def check_xsrf_cookie(self) -> None:
        """Token auth only: no cookies carry credentials, so no CSRF surface."""

    def get_login_url(self) -> str:
        raise Unauthorized("No token, authorization denied")

    def policy_for(self, method: str) -> Policy:
        if isinstance(self.policy, dict):
            return self.policy.get(method, Policy.ADMIN)
        return self.policy

    async def prepare(self) -> None:
        self.set_header("Content-Type", "application/json; charset=UTF-8")
        self.set_header("Cache-Control", "no-store")
        limit = parse_size(self.hub.config.system.routing.json_body_limit)
        if len(self.request.body or b"") > limit:
            raise PayloadTooLarge(f"Request body exceeds {limit} bytes")
        method = self.request.method or "GET"
        policy = self.policy_for(method)
        # Public routes are not authenticated (no credential lookups for /health and docs),
        # but they are still asked about, without a principal.
        principal = None if policy is Policy.PUBLIC else await identify(self.hub, self.request)
        resource = Resource("api", self.request.path, method=method, policy=policy)
        try:
            await authorize(self.hub, principal, self.action, resource)
        except Unauthorized as exc:
            if (
                principal is None
                and exc.message == rules.NO_TOKEN
                and sent_credentials(self.hub, self.request)
            ):
                raise Unauthorized(rules.BAD_TOKEN) from None
            raise
        self.principal = principal

    @property
    def caller(self) -> Principal:
        """The authenticated principal (only on non-public routes)."""
        if self.principal is None:
            raise Unauthorized("No token, authorization denied")
        return self.principal

    # ------------------------------------------------------------------ bodies

    def json_body(self) -> Any:
        body = self.request.body
        if not body:
            raise BadRequest("Request body must be JSON")
        try:
            data = json.loads(body)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise BadRequest("Invalid JSON in body of request") from exc
        except RecursionError:
            # Thousands of nested brackets: the decoder's recursion guard, not our bug.
            raise BadRequest(TOO_DEEP) from None
        if nesting_depth(data) > MAX_JSON_DEPTH:
            raise BadRequest(TOO_DEEP)
        return data

    def body_as(self, model: type[M]) -> M:
        """The JSON body validated by ``model``; 400 with field errors otherwise."""
        data = self.json_body()
        if not isinstance(data, dict):
            raise BadRequest("Request body must be a JSON object")
        try:
            return model.model_validate(data)
        except ValidationError as exc:
            message, errors = validation_message(exc)
            raise BadRequest(message, errors=errors) from exc

    def reply(
        self, data: Any = None, message: str | None = None, status: int = 200, **extra: Any
    ) -> None:
        """Finish with the envelope ``{success: true, data?, message?, ...}``."""
        body: dict[str, Any] = {"success": True}
        if message is not None:
            body["message"] = message
        if data is not None:
            body["data"] = data
        body.update(extra)
        self.send_json(body, status)

    def send_json(self, body: Any, status: int = 200) -> None:
        self.set_status(status)
        self.set_header("Content-Type", "application/json; charset=UTF-8")
        self.finish(json.dumps(body, separators=(",", ":"), default=str))

    # ------------------------------------------------------------------ errors

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        exc = kwargs.get("exc_info", (None, None, None))[1]
        extra: dict[str, Any] = {}
        if isinstance(exc, HubError):
            status_code, message, extra = exc.status, exc.message, exc.extra
        elif isinstance(exc, tornado.web.HTTPError):
            message = exc.log_message if exc.log_message and status_code < 500 else self._reason
        else:
            message = "Internal server error"
        if status_code >= 500 and not isinstance(exc, HubError):
            message = "Internal server error"
        self.set_status(status_code)
        self.clear_header("Content-Length")
        self.set_header("Content-Type", "application/json; charset=UTF-8")
        self.finish(json.dumps(error_body(message, **extra), separators=(",", ":")))

    def log_exception(self, typ: Any, value: Any, tb: Any) -> None:
        if isinstance(value, HubError) and value.status < 500:
            return
        super().log_exception(typ, value, tb)


class NotFoundHandler(APIHandler):
    """Unknown routes: a JSON 404 (MCPHub answers 200 with its web page)."""

    policy = Policy.PUBLIC

    async def prepare(self) -> None:
        self.set_header("Content-Type", "application/json; charset=UTF-8")
        raise NotFound(f"Route not found: {self.request.method} {self.request.path}")


def pagination(total: int, page: int, limit: int) -> dict[str, Any]:
    """MCPHub's pagination object."""
    pages = (total + limit - 1) // limit if limit else 1
    return {
        "page": page,
        "limit": limit,
        "total": total,
        "totalPages": pages,
        "hasNextPage": page < pages,
        "hasPrevPage": page > 1,
    }
