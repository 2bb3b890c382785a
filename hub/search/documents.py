"""What a search index holds and answers: the contract of ``register_search_index``.

A provider plugin registers a factory, ``factory(config, data_dir) -> SearchIndex``, under the
name ``smartRouting.embeddingProvider`` selects. The hub hands the index one ``ToolDoc`` per
tool the catalog lists (overrides applied, disabled tools left out), incrementally, and asks
it for the keys that best match a query; filtering by what the caller may call is the hub's.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from hub.config.system import SmartRoutingConfig


class ProviderUnavailable(Exception):
    """The provider cannot run with this configuration (missing key, package or model)."""


@dataclass(frozen=True)
class ToolDoc:
    """One tool as an index sees it."""

    server: str
    tool: str
    """The upstream's own tool name."""
    description: str
    parameters: tuple[tuple[str, str], ...] = ()
    """(name, description) of each top-level argument."""
    title: str = ""

    @property
    def key(self) -> str:
        return doc_key(self.server, self.tool)

    @property
    def text(self) -> str:
        """The tool as one line of prose: what embedding providers embed."""
        words = [self.title or self.tool, self.description]
        for name, text in self.parameters:
            words.append(f"{name}: {text}" if text else name)
        return " ".join(w.strip() for w in words if w and w.strip())

    @property
    def content_hash(self) -> str:
        """Changes exactly when what an index would store for the tool changes."""
        raw = json.dumps([self.server, self.tool, self.title, self.description, self.parameters])
        return hashlib.sha256(raw.encode()).hexdigest()


def doc_key(server: str, tool: str) -> str:
    """The index key of a tool: its server and its upstream name (no separator can clash)."""
    return f"{server}\x00{tool}"


def split_key(key: str) -> tuple[str, str]:
    server, _, tool = key.partition("\x00")
    return server, tool


@dataclass(frozen=True)
class SearchHit:
    """A key and its score (higher is better; scales differ between providers)."""

    key: str
    score: float


@dataclass
class IndexStats:
    """What ``POST /api/smart-routing/reindex`` reports."""

    provider: str
    tools: int
    details: dict[str, Any] = field(default_factory=dict)


class SearchIndex(Protocol):
    """A tool index. Methods may be called concurrently from one event loop; an index
    serialises its own writes. Keys are ``doc_key(server, tool)``."""

    name: str
    threshold: float
    """Scores below it are not results (each provider knows its own scale)."""

    async def upsert(self, docs: Sequence[ToolDoc]) -> None:
        """Add or replace these tools."""

    async def remove(self, keys: Collection[str]) -> None:
        """Forget these tools (unknown keys are ignored)."""

    async def search(self, query: str, limit: int, allowed: Collection[str]) -> list[SearchHit]:
        """At most ``limit`` of the ``allowed`` keys, best first, scoring at least
        ``threshold``; an empty list when nothing matches."""

    async def close(self) -> None:
        """Release files, connections and models."""


class IndexFactory(Protocol):
    """``factory(config, data_dir)``: an index for this smart-routing config, or
    ``ProviderUnavailable`` when it cannot run (the message is shown to the admin)."""

    def __call__(self, config: SmartRoutingConfig, data_dir: Path) -> SearchIndex: ...


def schema_parameters(schema: Any) -> tuple[tuple[str, str], ...]:
    """(name, description) of the top-level properties of a JSON schema."""
    if not isinstance(schema, Mapping):
        return ()
    properties = schema.get("properties")
    if not isinstance(properties, Mapping):
        return ()
    out = []
    for name, spec in properties.items():
        text = spec.get("description", "") if isinstance(spec, Mapping) else ""
        out.append((str(name), text if isinstance(text, str) else ""))
    return tuple(out)


def tool_doc(server: str, tool: str, item: Mapping[str, Any]) -> ToolDoc:
    """The document of a catalog item (a tool dict as the view lists it)."""
    description = item.get("description")
    title = item.get("title")
    return ToolDoc(
        server=server,
        tool=tool,
        description=description if isinstance(description, str) else "",
        parameters=schema_parameters(item.get("inputSchema")),
        title=title if isinstance(title, str) else "",
    )
