"""The in-process change bus. Catalog caches and MCP sessions listen; writers publish.

Events are small dicts ``{"kind": ..., ...}``. The store bridges them across instances
(PostgreSQL LISTEN/NOTIFY) by subscribing here and re-publishing remote events locally.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

log = logging.getLogger(__name__)

Event = dict[str, Any]
Listener = Callable[[Event], None]

# Kinds in use: servers (a server config was added, changed or removed), upstream (an
# upstream's status or lists changed), groups, keys, users, system (system config changed),
# builtins (built-in prompts or resources changed).


class EventBus:
    """Synchronous fan-out: listeners must be quick and schedule any slow work themselves."""

    def __init__(self) -> None:
        self._listeners: list[Listener] = []

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        """Add a listener; returns a function that removes it."""
        self._listeners.append(listener)

        def unsubscribe() -> None:
            if listener in self._listeners:
                self._listeners.remove(listener)

        return unsubscribe

    def publish(self, kind: str, **fields: Any) -> None:
        event = {"kind": kind, **fields}
        for listener in list(self._listeners):
            try:
                listener(event)
            except Exception:
                log.exception("Change listener failed on %s", kind)
