"""The hub's exceptions. Handlers raise them; one ``write_error`` renders the envelope."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pydantic import ValidationError


class StartupError(Exception):
    """The hub cannot start with this configuration; ``mcphub serve`` prints it in one line."""


class HubError(Exception):
    """An error the caller should see, with its HTTP status."""

    status = 500

    def __init__(self, message: str, *, status: int | None = None, **extra: Any) -> None:
        super().__init__(message)
        self.message = message
        if status is not None:
            self.status = status
        self.extra = extra


class BadRequest(HubError):
    """The request is malformed or fails validation."""

    status = 400


class Unauthorized(HubError):
    """No valid credentials."""

    status = 401


class Forbidden(HubError):
    """Valid credentials, but not allowed."""

    status = 403


class NotFound(HubError):
    """No such thing, or not visible to the caller."""

    status = 404


class Conflict(HubError):
    """The thing already exists."""

    status = 409


class PayloadTooLarge(HubError):
    """The body exceeds ``routing.jsonBodyLimit``."""

    status = 413


class TooManyRequests(HubError):
    """A rate limit was hit."""

    status = 429


class UpstreamError(HubError):
    """An upstream failed or is not connected."""

    status = 502


def error_body(message: str, **extra: Any) -> dict[str, Any]:
    """The one error envelope of ``/api``: ``{success: false, message, ...}``."""
    return {"success": False, "message": message, **extra}


def validation_message(exc: ValidationError) -> tuple[str, list[dict[str, Any]]]:
    """A readable first line and the field errors, without echoing the input values.

    Here rather than in the API layer so services that validate per item (batches,
    templates, system config) word their errors exactly as the handlers do.
    """
    errors = [
        {
            "field": ".".join(str(p) for p in e["loc"]),
            # A validator's own ValueError already reads as a sentence.
            "message": e["msg"].removeprefix("Value error, "),
        }
        for e in exc.errors()
    ]
    first = errors[0] if errors else {"field": "", "message": "invalid"}
    where = f"{first['field']}: " if first["field"] else ""
    return f"Invalid request body: {where}{first['message']}", errors
