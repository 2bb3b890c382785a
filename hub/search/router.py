"""The smart-routing service: the active search index, kept in step with the live catalog.

Every catalog change (a server connects, re-lists, is toggled or removed; a tool is toggled
or its description overridden) marks the index dirty; one background task then diffs the
catalog's tools against what the index holds, by content hash, and sends only the
difference. Searches are cut to what the caller's own view lists, so nothing a caller could
not call is ever returned.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from hub.config.system import SmartRoutingConfig
from hub.errors import BadRequest
from hub.mcp.catalog import Scope, View
from hub.registry import Registry
from hub.search.documents import (
    IndexStats,
    ProviderUnavailable,
    SearchIndex,
    ToolDoc,
    doc_key,
    tool_doc,
)

if TYPE_CHECKING:
    from pathlib import Path

    from hub.app import Hub

log = logging.getLogger(__name__)

DEFAULT_PROVIDER = "lexical"
BATCH = 256
"""Tools sent to the index per call, so a large catalog never blocks the loop for long."""


class SearchProvider(Protocol):
    """What ``register_search_index`` registers under a provider name."""

    def check(self, config: SmartRoutingConfig) -> None:
        """Raise ``ProviderUnavailable`` (with a message for the admin) when the provider
        cannot run with ``config``: a missing key, package or model. Cheap: no network."""

    def open(self, config: SmartRoutingConfig, data_dir: Path) -> SearchIndex:
        """A new, empty index for ``config`` (vectors may be cached in ``data_dir``)."""


@dataclass(frozen=True)
class Found:
    """One search result: the name ``call_tool`` takes, the item as the caller lists it."""

    name: str
    server: str
    item: dict[str, Any]
    score: float


def _signature(config: SmartRoutingConfig) -> str:
    """What, if changed, needs a new index (toggles like progressiveDisclosure do not)."""
    return config.model_dump_json(exclude={"enabled", "progressive_disclosure"})


class SmartRouter:
    """Owns the index the configured provider made and feeds it the catalog's changes."""

    def __init__(self, hub: Hub, providers: Registry[SearchProvider]) -> None:
        self.hub = hub
        self.providers = providers
        self.index: SearchIndex | None = None
        self.provider = ""
        """The provider actually serving (``lexical`` after a fallback)."""
        self._signature: str | None = None
        self._indexed: dict[str, str] = {}
        """key → content hash of what the index holds."""
        self._dirty = asyncio.Event()
        self._seen = 0
        """Catalog changes signalled so far; ``_synced`` of them are in the index."""
        self._synced = 0
        self._progress = asyncio.Condition()
        self._lock = asyncio.Lock()
        self._task: asyncio.Task[None] | None = None
        self._unsubscribe: Any = None

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> None:
        self._unsubscribe = self.hub.catalog.on_change(self._changed)
        self._changed()
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def stop(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        async with self._lock:
            await self._close()

    async def _close(self) -> None:
        if self.index is not None:
            index, self.index = self.index, None
            self._indexed.clear()
            self._signature = None
            await index.close()

    def _changed(self) -> None:
        self._seen += 1
        self._dirty.set()

    async def _run(self) -> None:
        while True:
            await self._dirty.wait()
            self._dirty.clear()
            seen = self._seen
            try:
                async with self._lock:
                    await self._sync()
            except Exception:
                log.exception("Updating the smart-routing index failed; retrying on next change")
            async with self._progress:
                self._synced = seen
                self._progress.notify_all()

    async def settled(self) -> None:
        """Return once every catalog change seen so far is in the index."""
        seen = self._seen
        async with self._progress:
            await self._progress.wait_for(lambda: self._synced >= seen)

    # ------------------------------------------------------------------ provider

    @property
    def config(self) -> SmartRoutingConfig:
        return self.hub.config.system.smart_routing

    def check(self, config: SmartRoutingConfig) -> None:
        """``BadRequest`` when enabling ``config`` could not work (system-config writes)."""
        if not config.enabled:
            return
        provider = self.providers.get(config.embedding_provider)
        if provider is None:
            names = ", ".join(sorted(self.providers)) or "none installed"
            raise BadRequest(
                f"Unknown smartRouting.embeddingProvider {config.embedding_provider!r} "
                f"(available: {names})"
            )
        try:
            provider.check(config)
        except ProviderUnavailable as exc:
            raise BadRequest(f"Smart routing provider {config.embedding_provider}: {exc}") from None

    def _open(self, config: SmartRoutingConfig) -> SearchIndex:
        """The configured provider's index, else the lexical one with one warning."""
        data_dir = self.hub.options.data_dir
        name = config.embedding_provider
        provider = self.providers.get(name)
        try:
            if provider is None:
                raise ProviderUnavailable("no such provider is installed")
            provider.check(config)
            index = provider.open(config, data_dir)
            self.provider = name
            return index
        except ProviderUnavailable as exc:
            fallback = self.providers.get(DEFAULT_PROVIDER)
            if fallback is None or name == DEFAULT_PROVIDER:
                raise
            log.warning("Smart routing provider %s cannot run (%s); using lexical", name, exc)
            self.provider = DEFAULT_PROVIDER
            return fallback.open(config, data_dir)

    # ------------------------------------------------------------------ sync

    def catalog_docs(self) -> dict[str, ToolDoc]:
        """Every tool the catalog lists, overrides applied, by index key."""
        servers = tuple(sorted(self.hub.config.servers))
        view = self.hub.catalog.view(Scope(servers))
        docs: dict[str, ToolDoc] = {}
        for item in view.tools:
            target = view.tool(item["name"])
            if target is not None:
                docs[doc_key(*target)] = tool_doc(target[0], target[1], item)
        return docs

    async def _sync(self) -> None:
        config = self.config
        if not config.enabled:
            await self._close()
            return
        signature = _signature(config)
        if self.index is None or signature != self._signature:
            await self._close()
            try:
                self.index = self._open(config)
            except ProviderUnavailable as exc:
                log.warning("Smart routing cannot start: %s", exc)
                return
            self._signature = signature
        index = self.index
        docs = self.catalog_docs()
        gone = [key for key in self._indexed if key not in docs]
        if gone:
            await index.remove(gone)
            for key in gone:
                del self._indexed[key]
        changed = [d for k, d in docs.items() if self._indexed.get(k) != d.content_hash]
        for start in range(0, len(changed), BATCH):
            batch = changed[start : start + BATCH]
            await index.upsert(batch)
            for doc in batch:
                self._indexed[doc.key] = doc.content_hash
        if gone or changed:
            log.info(
                "Smart-routing index: %d tools, %d updated, %d removed",
                len(docs),
                len(changed),
                len(gone),
            )

    async def reindex(self) -> IndexStats:
        """Drop the index and build it again from the catalog."""
        async with self._lock:
            await self._close()
            await self._sync()
            return IndexStats(self.provider if self.index else "", len(self._indexed))

    # ------------------------------------------------------------------ search

    async def search(self, view: View, query: str, limit: int) -> tuple[list[Found], float]:
        """The best tools of ``view`` (a caller's own view) for ``query``, and the threshold."""
        index = self.index
        if index is None or not self.config.enabled or not query.strip():
            return [], 0.0
        names: dict[str, tuple[str, str]] = {}
        for name, (server, tool) in view.tool_index.items():
            names[doc_key(server, tool)] = (name, server)
        items = {item["name"]: item for item in view.tools}
        hits = await index.search(query, limit, names.keys())
        out = []
        for hit in hits:
            if hit.key not in names:
                continue  # a provider answering beyond ``allowed``: never shown
            name, server = names[hit.key]
            out.append(Found(name, server, items[name], hit.score))
        return out, index.threshold
