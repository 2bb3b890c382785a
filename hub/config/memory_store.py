"""A Store held in memory: the base of stores that keep their documents elsewhere as a
whole (the settings-file store), and a scratch store (``mcphub import --dry-run``)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from hub.config.settings_file import Snapshot
from hub.config.store import COLLECTIONS, Conflict, Store, TransactionView


class _Scratch:
    """The documents a transaction works on: a copy, made current when it commits."""

    def __init__(self, data: Snapshot) -> None:
        self.data = data

    async def items(self, collection: str) -> list[tuple[str, dict[str, Any]]]:
        return list(self.data.get(collection, {}).items())

    async def get(self, collection: str, key: str) -> dict[str, Any] | None:
        return self.data.get(collection, {}).get(key)

    async def put(self, collection: str, key: str, doc: dict[str, Any], create: bool) -> None:
        docs = self.data.setdefault(collection, {})
        if create and key in docs:
            raise Conflict(f"{collection} {key!r} already exists")
        docs[key] = doc

    async def delete(self, collection: str, key: str) -> bool:
        return self.data.get(collection, {}).pop(key, None) is not None


class MemoryStore(Store):
    """Documents in dicts. Every write works on a copy and goes through ``commit``, which a
    subclass overrides to make the new state durable before it becomes the current one."""

    name = "memory"

    def __init__(self) -> None:
        self.data: Snapshot = {c: {} for c in COLLECTIONS}
        self.lock = asyncio.Lock()
        """Held around every write, so writes apply (and persist) one at a time."""

    def copy(self) -> Snapshot:
        """A copy of the collections a write may change without touching the current ones."""
        return {c: dict(docs) for c, docs in self.data.items()}

    async def commit(self, data: Snapshot) -> None:
        """Make ``data`` the current state; a subclass persists it first."""
        self.data = data

    async def open(self) -> None:
        return

    async def close(self) -> None:
        return

    async def items(self, collection: str) -> list[tuple[str, dict[str, Any]]]:
        return list(self.data.get(collection, {}).items())

    async def get(self, collection: str, key: str) -> dict[str, Any] | None:
        return self.data.get(collection, {}).get(key)

    async def put(
        self, collection: str, key: str, doc: dict[str, Any], *, create: bool = False
    ) -> None:
        async with self.transaction() as tx:
            await tx.put(collection, key, doc, create=create)

    async def delete(self, collection: str, key: str) -> bool:
        async with self.transaction() as tx:
            return bool(await tx.delete(collection, key))

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Store]:
        async with self.lock:
            scratch = _Scratch(self.copy())
            yield TransactionView(scratch, "memory-transaction")
            await self.commit(scratch.data)
