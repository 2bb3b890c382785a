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
from collections.abc import Callable, Iterator, Mapping
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

ID_KEYED = frozenset({Kind.GROUPS, Kind.KEYS, Kind.BUILTINS})
"""Kinds whose records are named by id rather than by name (in the mapping view)."""

log = logging.getLogger(__name__)


@dataclass(frozen=True, eq=False)
class ChangeEvent(Mapping[str, Any]):
    """One change, as subscribers and other instances see it.

    It also reads as the small dict events used to be (``event["kind"]``, ``event.get
    ("name")``, ``{"kind": "groups", "id": …} == event``): the kind, the record under
    ``name`` or ``id``, and the details. ``action`` and ``origin`` are attributes only.
    """

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

    def _view(self) -> dict[str, Any]:
        view: dict[str, Any] = {"kind": str(self.kind)}
        if self.record is not None:
            view["id" if self.kind in ID_KEYED else "name"] = self.record
        view.update(self.detail)
        return view

    def __getitem__(self, key: str) -> Any:
        return self._view()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._view())

    def __len__(self) -> int:
        return len(self._view())

    def __eq__(self, other: object) -> bool:
        if isinstance(other, ChangeEvent):
            return self.to_wire() == other.to_wire()
        if isinstance(other, Mapping):
            return self._view() == dict(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]  # equal to dicts, so not hashable either

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
        """Publish a change made by this instance.

        ``name=`` or ``id=`` (the keyword form events were published with before they were
        typed) name the record too, so older publishers keep working.
        """
        if record is None:
            record = detail.pop("id" if kind in ID_KEYED else "name", None)
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
