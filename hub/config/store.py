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
from typing import Any, Protocol

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
    "secrets",
    "tool_pins",
)
"""Every collection a backend must hold. ``system`` has one document, key ``config``;
``extra`` keeps unknown top-level keys of an imported settings file; ``secrets`` keeps what
every instance sharing the store must agree on (the generated JWT secret, key ``jwt``) and
is never exported; ``tool_pins`` holds the approved tool definitions of each server, keyed
by server name (``hub.upstream.pins``)."""


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
    origin: str = ""
    """The ``instance_id`` of the hub using this store, set before ``open``: a shared backend
    stamps the change records of this instance's writes with it."""

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

    async def replace_all(
        self,
        snapshot: dict[str, dict[str, dict[str, Any]]],
        *,
        only_if_empty: tuple[str, ...] = (),
    ) -> bool:
        """Replace the named collections with ``snapshot[collection][key] = doc`` at once.

        With ``only_if_empty``, nothing is written and False returned when one of those
        collections holds a document (checked in the same transaction: of instances seeding
        one empty shared store together, one seeds). True when the snapshot was written.
        """
        async with self.transaction() as tx:
            for collection in only_if_empty:
                if await tx.items(collection):
                    return False
            for collection, docs in snapshot.items():
                for key, _ in await tx.items(collection):
                    await tx.delete(collection, key)
                for key, doc in docs.items():
                    await tx.put(collection, key, doc)
        return True

    # -- change events across instances -----------------------------------------------
    # A shared backend (PostgreSQL) records a change with every write, in the writing
    # transaction, so a crash between the write and its announcement cannot lose one; the
    # hub listens and applies other instances' writes per record
    # (``hub.config.replica``). One process needs only this no-op default.

    async def listen(self, callback: Callable[[ChangeEvent], None]) -> None:
        """Deliver the change events of other hub instances' committed writes to ``callback``
        (``hub.config.events.document_event`` makes them), until ``close``.

        Events arrive after the write they report is committed, origin kept. When the
        backend may have missed some (a dropped connection), it sends one
        ``Kind.IMPORTED`` event: reload everything. The default (one process) never calls
        ``callback``.
        """
        return


class DocumentOps(Protocol):
    """The document statements of a backend, run either on the store itself or on the one
    connection (or copy) of an open transaction. ``put`` takes ``create`` positionally."""

    async def items(self, collection: str) -> list[tuple[str, dict[str, Any]]]: ...

    async def get(self, collection: str, key: str) -> dict[str, Any] | None: ...

    async def put(self, collection: str, key: str, doc: dict[str, Any], create: bool) -> None: ...

    async def delete(self, collection: str, key: str) -> bool: ...


class TransactionView(Store):
    """The store seen from inside ``transaction()``: reads and writes go to ``ops`` and
    commit (or roll back) when the block exits. Every backend's transaction yields one, so
    opening, closing or nesting inside a transaction fails the same way everywhere."""

    def __init__(self, ops: DocumentOps, name: str) -> None:
        self.ops = ops
        self.name = name

    async def open(self) -> None:
        raise StoreError("a transaction is already open")

    async def close(self) -> None:
        raise StoreError("close the store, not the transaction")

    async def items(self, collection: str) -> list[tuple[str, dict[str, Any]]]:
        return await self.ops.items(collection)

    async def get(self, collection: str, key: str) -> dict[str, Any] | None:
        return await self.ops.get(collection, key)

    async def put(
        self, collection: str, key: str, doc: dict[str, Any], *, create: bool = False
    ) -> None:
        await self.ops.put(collection, key, doc, create)

    async def delete(self, collection: str, key: str) -> bool:
        return await self.ops.delete(collection, key)

    def transaction(self) -> Any:
        raise StoreError("transactions do not nest")
