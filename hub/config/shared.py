"""State several hub instances share besides configuration: MCP sessions and rate hits.

A storage backend that serves several instances offers these as attributes, as it offers an
``ActivityLog``: ``sessions`` (a ``SessionRegistry``) and ``rate_hits`` (``SharedRateLimits``).
With neither (one process, the SQLite store), sessions and rate limits stay in memory.
"""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable

SESSIONS_COLLECTION = "mcp_sessions"
"""The ``collection`` of the change event that says a shared session ended."""


@runtime_checkable
class SessionRegistry(Protocol):
    """The 2025-era MCP sessions opened on any instance, so another can continue them."""

    async def put_session(self, session_id: str, record: dict[str, Any]) -> None:
        """Record a session (its ``owner``, ``route`` and ``version``); committed on return."""
        ...

    async def get_session(self, session_id: str) -> dict[str, Any] | None:
        """The record of a session any instance opened, or None."""
        ...

    async def delete_session(self, session_id: str) -> None:
        """Forget a session (the client ended it). The other instances hear of it as a
        ``Kind.STORED`` delete event in collection ``SESSIONS_COLLECTION``."""
        ...


@runtime_checkable
class SharedRateLimits(Protocol):
    """Hits of a rate limit counted across instances (wall-clock seconds)."""

    async def recent_hits(self, name: str, key: str, since: float) -> list[float]:
        """Times of the hits of limiter ``name`` for ``key`` after ``since``, oldest first."""
        ...

    async def add_hit(self, name: str, key: str, at: float, forget_before: float) -> None:
        """Count one hit at ``at``; hits before ``forget_before`` may be dropped."""
        ...


def session_registry(store: object) -> SessionRegistry | None:
    """The shared session registry a storage backend offers, if any."""
    found = getattr(store, "sessions", None)
    return found if isinstance(found, SessionRegistry) else None


def shared_rate_limits(store: object) -> SharedRateLimits | None:
    """The shared rate-limit counter a storage backend offers, if any."""
    found = getattr(store, "rate_hits", None)
    return found if isinstance(found, SharedRateLimits) else None
