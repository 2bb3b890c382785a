"""The in-process change bus and the typed events it carries.

Writers publish a ``ChangeEvent`` (what changed, which record, how, from which hub
instance); catalog caches, the upstream manager and MCP sessions subscribe. The bus is
synchronous: listeners run inside ``publish`` and must schedule slow work themselves.

Across instances, a store plugin carries the events (``Store.notify`` / ``Store.listen``):
it forwards the ``shared`` events whose ``origin`` is its own hub's ``instance_id`` with
``to_wire()``, and hands what other instances sent to ``EventBus.emit`` after
``ChangeEvent.from_wire``, origin kept, so subscribers can tell a remote change from a local
one. Events about this instance only (an upstream's status, a resource update) are not
``shared``.
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
