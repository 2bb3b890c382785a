"""The in-process change bus and the typed events it carries.

Writers publish a ``ChangeEvent`` (what changed, which record, how, from which hub
instance); catalog caches, the upstream manager and MCP sessions subscribe. The bus is
synchronous: listeners run inside ``publish`` and must schedule slow work themselves.

Across instances, a shared store plugin records a change with every write and hands the
hub the events of other instances' writes (``Store.listen``, ``document_event``); the hub
applies each to its live config and then ``emit``s it here, origin kept, so subscribers can
tell a remote change from a local one (``hub.config.replica``). Events about this instance
only (an upstream's status, a resource update) are not ``shared``.
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any


class Kind(enum.StrEnum):
    """What changed."""

    SERVERS = "servers"
    """A server config was added, changed or removed; ``record`` is its name."""
    GROUPS = "groups"
    """A group; ``record`` is its id."""
    USERS = "users"
    """A user; ``record`` is the username."""
    KEYS = "keys"
    """A bearer key; ``record`` is its id."""
    SYSTEM = "system"
    """The system config (no record)."""
    BUILTINS = "builtins"
    """A built-in prompt or resource; ``record`` is its id, ``detail["kind_of"]`` which."""
    IMPORTED = "imported"
    """Everything was replaced by an imported settings file (no record)."""
    UPSTREAM = "upstream"
    """An upstream's status or cached lists; ``record`` is the server, ``detail["what"]``
    says which (``status``, ``tools`` …). About this instance only."""
    RESOURCE_UPDATED = "resource_updated"
    """An upstream resource changed; ``record`` is the server, ``detail["uri"]`` the
    resource. About this instance only."""
    STORED = "stored"
    """A document of another collection (OAuth clients and tokens, user configs, extras,
    secrets) changed on another instance; ``record`` is its key, ``detail["collection"]``
    the collection."""


class Change(enum.StrEnum):
    """How the record changed."""

    CREATE = "create"
    UPDATE = "update"
    DELETE = "delete"
    REPLACE = "replace"
    """Everything at once (an import)."""


LOCAL_KINDS = frozenset({Kind.UPSTREAM, Kind.RESOURCE_UPDATED})
"""Facts about one instance's own connections, which other instances do not share."""

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ChangeEvent:
    """One change, as subscribers and other instances see it."""

    kind: str
    record: str | None = None
    """The name or id of the record that changed, when the change is about one record."""
    action: str = Change.UPDATE
    origin: str = ""
    """The ``instance_id`` of the hub that made the change."""
    detail: Mapping[str, Any] = field(default_factory=dict)
    """Kind-specific facts (``what`` for upstream events, ``uri``, ``kind_of``)."""

    @property
    def shared(self) -> bool:
        """Whether other hub instances need this event (config changes, not local facts)."""
        return self.kind not in LOCAL_KINDS

    def to_wire(self) -> dict[str, Any]:
        """A JSON-ready form for carrying the event to other instances."""
        return {
            "kind": str(self.kind),
            "record": self.record,
            "action": str(self.action),
            "origin": self.origin,
            "detail": dict(self.detail),
        }

    @classmethod
    def from_wire(cls, data: Mapping[str, Any]) -> ChangeEvent:
        """The event ``to_wire`` described (unknown kinds are kept as plain strings)."""
        return cls(
            kind=str(data["kind"]),
            record=data.get("record"),
            action=str(data.get("action") or Change.UPDATE),
            origin=str(data.get("origin") or ""),
            detail=MappingProxyType(dict(data.get("detail") or {})),
        )


Event = ChangeEvent
"""The name subscribers annotate with."""
Listener = Callable[[ChangeEvent], None]


class EventBus:
    """Synchronous fan-out: listeners must be quick and schedule any slow work themselves."""

    def __init__(self, origin: str = "") -> None:
        self.origin = origin
        """The instance id stamped on events published here."""
        self._listeners: list[Listener] = []

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        """Add a listener; returns a function that removes it."""
        self._listeners.append(listener)

        def unsubscribe() -> None:
            if listener in self._listeners:
                self._listeners.remove(listener)

        return unsubscribe

    def publish(
        self,
        kind: str,
        record: str | None = None,
        action: str = Change.UPDATE,
        **detail: Any,
    ) -> ChangeEvent:
        """Publish a change made by this instance; ``detail`` holds the kind's facts."""
        event = ChangeEvent(kind, record, action, self.origin, MappingProxyType(detail))
        self.emit(event)
        return event

    def emit(self, event: ChangeEvent) -> None:
        """Deliver an event to every listener (a store plugin uses this for remote events)."""
        for listener in list(self._listeners):
            try:
                listener(event)
            except Exception:
                log.exception("Change listener failed on %s", event.kind)


COLLECTION_KINDS: Mapping[str, Kind] = MappingProxyType(
    {
        "servers": Kind.SERVERS,
        "groups": Kind.GROUPS,
        "users": Kind.USERS,
        "bearer_keys": Kind.KEYS,
        "system": Kind.SYSTEM,
        "prompts": Kind.BUILTINS,
        "resources": Kind.BUILTINS,
    }
)
"""The event kind of a write to each store collection (others are ``Kind.STORED``)."""


def document_event(collection: str, key: str | None, action: str, origin: str) -> ChangeEvent:
    """The event a shared store reports for a committed write of another instance.

    ``collection`` ``"*"`` (or a ``replace`` without a key) means "reload everything" and
    becomes ``Kind.IMPORTED``; a write to ``system`` has no record; a built-in says which
    (``kind_of``); every event names its ``collection`` in ``detail``.
    """
    if collection == "*" or (key is None and collection != "system"):
        return ChangeEvent(Kind.IMPORTED, None, Change.REPLACE, origin)
    kind = COLLECTION_KINDS.get(collection, Kind.STORED)
    detail: dict[str, Any] = {"collection": collection}
    if kind == Kind.BUILTINS:
        detail["kind_of"] = collection.removesuffix("s")
    record = None if kind == Kind.SYSTEM else key
    return ChangeEvent(kind, record, action, origin, MappingProxyType(detail))
