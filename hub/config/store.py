"""The storage interface. Backends (SQLite by default, PostgreSQL for scale-out) are plugins.

The store keeps JSON documents in named collections, each keyed by a string. The typed view
(pydantic models, validation, invariants) lives above it in ``hub.config.live``; a backend only
has to be durable and atomic. Every write is committed before the call returns, so an
acknowledged write survives a crash of the process.

The activity log is not part of this interface: a backend that keeps one offers it
separately (``hub.config.activities.ActivityLog``).
"""

from __future__ import annotations

import abc
from collections.abc import Callable
from pathlib import Path
from typing import Any

from hub.config.events import ChangeEvent

COLLECTIONS = (
    "servers",
    "groups",
    "users",
    "bearer_keys",
    "system",
    "prompts",
    "resources",
    "oauth_clients",
    "oauth_tokens",
    "user_configs",
    "extra",
    "tool_pins",
)
"""Every collection a backend must hold. ``system`` has one document, key ``config``;
``extra`` keeps unknown top-level keys of an imported settings file; ``tool_pins`` holds
the approved tool definitions of each server, keyed by server name (``hub.upstream.pins``)."""


class StoreError(Exception):
    """A storage backend failed."""


class Conflict(StoreError):
    """A document with that key already exists."""


class Store(abc.ABC):
    """Async, durable document store used by the hub for all persistent state."""

    name: str = "abstract"
    source_file: Path | None = None
    """The settings file this store keeps as its source of truth, if it keeps one; the hub
    then never imports that file into it on a first start."""

    @abc.abstractmethod
    async def open(self) -> None:
        """Connect and apply schema migrations."""

    @abc.abstractmethod
    async def close(self) -> None:
        """Release connections; pending writes are already committed."""

    @abc.abstractmethod
    async def items(self, collection: str) -> list[tuple[str, dict[str, Any]]]:
        """All ``(key, document)`` pairs of a collection, in insertion order."""

    @abc.abstractmethod
    async def get(self, collection: str, key: str) -> dict[str, Any] | None:
        """One document, or None."""

    @abc.abstractmethod
    async def put(
        self, collection: str, key: str, doc: dict[str, Any], *, create: bool = False
    ) -> None:
        """Insert or replace a document. With ``create=True`` an existing key raises Conflict."""

    @abc.abstractmethod
    async def delete(self, collection: str, key: str) -> bool:
        """Remove a document; False when there was none."""

    @abc.abstractmethod
    def transaction(self) -> Any:
        """An async context manager yielding a Store whose writes commit together."""

    async def replace_all(self, snapshot: dict[str, dict[str, dict[str, Any]]]) -> None:
        """Replace the named collections with ``snapshot[collection][key] = doc`` at once."""
        async with self.transaction() as tx:
            for collection, docs in snapshot.items():
                for key, _ in await tx.items(collection):
                    await tx.delete(collection, key)
                for key, doc in docs.items():
                    await tx.put(collection, key, doc)

    # -- change events across instances -----------------------------------------------
    # The seam a shared backend (PostgreSQL LISTEN/NOTIFY) carries the typed change events
    # through. They stay on the Store rather than on an interface of their own: the backend
    # that holds the shared state is the one that reaches the other instances (LISTEN/NOTIFY
    # runs on the store's own connection, after the write it reports), so a second interface
    # would be a second registration for the same database; one process needs only these
    # no-op defaults.

    async def listen(self, callback: Callable[[ChangeEvent], None]) -> None:
        """Deliver the change events other hub instances published to ``callback``.

        ``callback`` is the receiving hub's ``bus.emit``: events arrive with their origin
        kept, after the change they report is committed. The default (one process) never
        calls it.
        """
        return

    async def notify(self, event: ChangeEvent) -> None:
        """Send one of this instance's ``shared`` change events to the other instances
        (``event.to_wire()`` is its JSON form). The default (one process) does nothing."""
        return
