"""``PerHub``: a plugin's module-level state, one value per hub."""

from __future__ import annotations

import weakref
from typing import TYPE_CHECKING, Generic, TypeVar

if TYPE_CHECKING:
    from hub.app import Hub

T = TypeVar("T")


class PerHub(Generic[T]):
    """One value per hub, for state a plugin's hookimpls keep between calls.

    Weakly keyed, so a stopped and dropped hub is not kept alive by a plugin module. The
    hub set last is looked up first: hookimpls on every call's path find their hub's state
    with one weak-reference call, where a ``WeakKeyDictionary`` lookup makes a new weak
    reference each time."""

    def __init__(self) -> None:
        self._values: weakref.WeakKeyDictionary[Hub, T] = weakref.WeakKeyDictionary()
        self._last: tuple[weakref.ref[Hub], T] | None = None

    def get(self, hub: Hub) -> T | None:
        last = self._last
        if last is not None and last[0]() is hub:
            return last[1]
        return self._values.get(hub)

    def set(self, hub: Hub, value: T) -> None:
        self._values[hub] = value
        self._last = (weakref.ref(hub), value)

    def pop(self, hub: Hub) -> T | None:
        last = self._last
        if last is not None and last[0]() is hub:
            self._last = None
        return self._values.pop(hub, None)
