"""Calling the notification hooks on every request's path without pluggy's call machinery.

``after_tool_call`` and ``request_finished`` run on every call and every request, and
return nothing to the core. pluggy's call path (mapping keyword arguments to each
hookimpl, the result list, the wrapper machinery) cost about 5 µs per call in a loaded
hub, more than the built-in observers' own work. So ``Plugins`` reads the hookimpls from
``pm.hook`` once and calls their functions itself, in pluggy's order, each in its own
``try``. It keeps pluggy's way where a hookimpl needs it (a wrapper, an argument with a
default) and while hook calls are traced (``MCPHUB_TRACE_PLUGINS``).
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pluggy import HookCaller

log = logging.getLogger(__name__)


def plain_functions(caller: HookCaller) -> tuple[Callable[..., Any], ...] | None:
    """The hookimpls' functions in pluggy's call order (``tryfirst`` first, then the last
    registered first), each taking the hookspec's arguments positionally; None when one
    needs pluggy to call it."""
    spec = caller.spec
    impls = caller.get_hookimpls()
    if spec is None or any(i.hookwrapper or i.wrapper or i.kwargnames for i in impls):
        return None
    return tuple(positional(i.function, i.argnames, spec.argnames) for i in reversed(impls))


def positional(
    function: Callable[..., Any], wanted: tuple[str, ...], given: tuple[str, ...]
) -> Callable[..., Any]:
    """``function`` called with the hookspec's arguments in order: itself when it takes them
    all, else an adapter passing the ones it names (pluggy lets a hookimpl take fewer)."""
    if wanted == given:
        return function
    picks = [given.index(name) for name in wanted]

    def adapter(*args: Any) -> Any:
        return function(*[args[i] for i in picks])

    adapter.__wrapped__ = function  # type: ignore[attr-defined]
    return adapter


def notify(
    functions: tuple[Callable[..., Any], ...], hook_name: str, *args: Any
) -> list[Awaitable[Any]] | None:
    """Call each function with ``args``; a failure is logged and the next one still runs.
    Returns the awaitables they returned (None when none did)."""
    waiting: list[Awaitable[Any]] | None = None
    for function in functions:
        try:
            answer = function(*args)
        except Exception:
            log.exception("Plugin %s failed in %s", name_of(function), hook_name)
            continue
        if answer is not None and inspect.isawaitable(answer):
            waiting = [answer] if waiting is None else [*waiting, answer]
    return waiting


def name_of(function: Callable[..., Any]) -> str:
    function = inspect.unwrap(function)
    return f"{getattr(function, '__module__', '?')}.{getattr(function, '__qualname__', '?')}"


async def await_each(waiting: list[Awaitable[Any]], hook_name: str) -> None:
    """Await the ``async def`` hookimpls' coroutines in call order; a failure is logged and
    the next one still runs."""
    for awaitable in waiting:
        try:
            await awaitable
        except Exception:
            log.exception("A plugin failed in %s", hook_name)
