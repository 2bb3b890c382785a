"""``Observing``: the observer hooks, called on every tool call's and request's path.

``after_tool_calls`` / ``after_tool_call``, ``requests_finished`` / ``requests_counted`` /
``request_finished`` return nothing to the core, so it need not wait for them. A finished
call or request is noted in a list (a request for ``requests_counted`` only counted, by
handler class, path and status); the observers hear of it ``TELL_EVERY_S`` later, together
with everything else that finished meanwhile: the caller's reply is on its way by then. A busy hub's
observers thus get a few dozen calls at a time, and even one caller's calls come in
groups. Telling them on each turn of the event loop cost a callback per turn (about a
microsecond), and on a quiet loop a turn of its own (the loop's bookkeeping and a
``select``), as much as the observers' own work. The hub's shutdown and a metrics scrape
tell them at once (``tell_now``). ``request_finished`` alone is called at once (its
hookspec promises it), from the access-log function (``hub.server``). Plain hookimpls are
called directly, not through pluggy (``hub.plugins.observers``); ``async def`` ones run
as tasks of their own.
"""

from __future__ import annotations

import asyncio
import contextvars
import inspect
import logging
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from hub.plugins.observers import await_each, notify, plain_functions

if TYPE_CHECKING:
    import pluggy
    import tornado.web

    from hub.app import Hub
    from hub.upstream.calls import FinishedCall, ToolCall

log = logging.getLogger(__name__)

TELL_EVERY_S = 0.01
"""Seconds from the first call or request noted to the telling of the observers. Under
load, 10 ms (several dozen calls a telling) cost the hub less CPU per call than 2 ms (a
dozen) in side-by-side runs (docs/performance.md); the built-in observers need nothing
sooner, and a metrics scrape tells them at once (``tell_observers``)."""
_QUIET = contextvars.Context()
"""The context observers run in: none of the finished calls' own (a batch has many)."""

RouteOf = Callable[[type, str], str]
"""The route template of a request by its handler's class and its path (``hub.server``)."""

Each = Callable[..., Awaitable[None]]
"""``Plugins._each``: every hookimpl through pluggy, awaitables awaited in call order."""


class Observing:
    """The observer hooks of one plugin manager."""

    def __init__(self, pm: pluggy.PluginManager, each: Each) -> None:
        self.pm = pm
        self._each = each
        self.traced = False
        """Hook calls are traced (``MCPHUB_TRACE_PLUGINS``): every one goes through pluggy."""
        self._has_impl: dict[str, bool] = {}
        self._observes_calls: bool | None = None
        self._observers: dict[str, tuple[Callable[..., Any], ...] | None] = {}
        self._calls: dict[Hub, list[FinishedCall]] = {}
        """Per hub, the tool calls finished since the observers were last told."""
        self._requests: dict[Hub, RequestNotes] = {}
        """Per hub, what was noted of its requests since the observers were last told."""
        self._requests_noted = False
        """Some list of ``_requests`` holds a request."""
        self._running: set[asyncio.Future[None]] = set()
        """``async def`` observers still running (held until done)."""
        self.tell_every = TELL_EVERY_S
        """Seconds from the first thing noted to the telling (0: the loop's next turn)."""
        self._scheduled = False
        """A telling of what was noted is scheduled."""

    def forget(self) -> None:
        """Drop what was remembered about hookimpls (a plugin came or went)."""
        self._has_impl.clear()
        self._observes_calls = None
        self._observers.clear()

    def has_impl(self, hook_name: str) -> bool:
        """Whether any plugin implements a hook (lets the hot path skip empty middleware);
        remembered until a plugin is registered or unregistered."""
        known = self._has_impl.get(hook_name)
        if known is None:
            known = self._has_impl[hook_name] = bool(
                getattr(self.pm.hook, hook_name).get_hookimpls()
            )
        return known

    def observers(self, hook_name: str) -> tuple[Callable[..., Any], ...] | None:
        """``hub.plugins.observers.plain_functions`` of a hook (None: call it through pluggy),
        remembered until a plugin is registered or unregistered."""
        if hook_name not in self._observers:
            caller = getattr(self.pm.hook, hook_name)
            self._observers[hook_name] = None if self.traced else plain_functions(caller)
        return self._observers[hook_name]

    # -- tool calls ------------------------------------------------------------------

    def observes_tool_calls(self) -> bool:
        """Whether any plugin observes finished tool calls (``tool_call_finished`` is then
        worth calling); asked on every call, so remembered like ``has_impl``."""
        known = self._observes_calls
        if known is None:
            known = self.has_impl("after_tool_calls") or self.has_impl("after_tool_call")
            self._observes_calls = known
        return known

    def tool_call_finished(
        self,
        hub: Hub,
        call: ToolCall,
        result: dict[str, Any] | None,
        error: BaseException | None,
    ) -> None:
        """Note when ``call`` finished; ``after_tool_calls`` and then ``after_tool_call``
        hear of it on a later turn of the event loop."""
        call.finished = time.perf_counter()
        finished = self._calls.get(hub)
        if finished is None:
            finished = self._calls[hub] = []
            if not self._scheduled:
                self._schedule()
        finished.append((call, result, error))

    def _schedule(self) -> None:
        """Tell the observers ``tell_every`` from now."""
        self._scheduled = True
        loop = asyncio.get_running_loop()
        if self.tell_every > 0:
            loop.call_later(self.tell_every, self._tell_all, context=_QUIET)
        else:
            loop.call_soon(self._tell_all, context=_QUIET)

    def tell_now(self) -> None:
        """Tell the observers now about everything noted (a scheduled telling then finds
        nothing left to tell)."""
        if self._calls or self._requests_noted:
            self._tell_all()

    def _tell_all(self) -> None:
        self._scheduled = False
        if self._calls:
            self._tell_calls()
        if self._requests_noted:
            self._tell_requests()

    def _tell_calls(self) -> None:
        batches, self._calls = self._calls, {}
        for hub, calls in batches.items():
            self.after_tool_calls(hub, calls)
            if self.has_impl("after_tool_call"):
                for call, result, error in calls:
                    self._in_background(self.after_tool_call(hub, call, result, error))

    def after_tool_calls(self, hub: Hub, calls: list[FinishedCall]) -> None:
        """Tell the ``after_tool_calls`` observers about ``calls``."""
        self._tell("after_tool_calls", hub, calls)

    def after_tool_call(
        self,
        hub: Hub,
        call: ToolCall,
        result: dict[str, Any] | None,
        error: BaseException | None,
    ) -> Awaitable[None] | None:
        """Tell the ``after_tool_call`` observers a tool call finished. Plain hookimpls run
        now; the awaitable returned (None when no hookimpl returned one) runs the ``async
        def`` ones."""
        observers = self.observers("after_tool_call")
        if observers is None:
            return self._each(
                self.pm.hook.after_tool_call,
                swallow=True,
                hub=hub,
                call=call,
                result=result,
                error=error,
            )
        waiting = notify(observers, "after_tool_call", hub, call, result, error)
        return None if waiting is None else await_each(waiting, "after_tool_call")

    # -- requests --------------------------------------------------------------------

    def request_notes(
        self, hub: Hub, route_of: RouteOf
    ) -> Callable[[tornado.web.RequestHandler], None] | None:
        """``note(handler)``: a request of ``hub`` finished; the ``requests_finished``
        observers hear of it later with its route (``route_of``), the ``requests_counted``
        ones count it. None when neither hook has an observer. On the request's path: an
        ``append``, or a dict update, or both."""
        listed, counted = self.has_impl("requests_finished"), self.has_impl("requests_counted")
        if not (listed or counted):
            return None
        notes = self._requests[hub] = RequestNotes(route_of)
        handlers, counts = notes.handlers, notes.counts

        def first() -> None:
            self._requests_noted = True
            if not self._scheduled:
                self._schedule()

        def note(handler: tornado.web.RequestHandler) -> None:
            if not self._requests_noted:
                first()
            if listed:
                handlers.append(handler)
            if counted:
                key = (type(handler), handler.request.path, handler.get_status())
                counts[key] = counts.get(key, 0) + 1

        return note

    def _tell_requests(self) -> None:
        self._requests_noted = False
        for hub, notes in list(self._requests.items()):
            route_of = notes.route_of
            if notes.handlers:
                handlers = notes.handlers.copy()
                notes.handlers.clear()
                labelled = [(h, route_of(type(h), h.request.path)) for h in handlers]
                self._tell("requests_finished", hub, labelled)
            if notes.counts:
                counts: dict[tuple[str, int], int] = {}
                for (cls, path, status), count in notes.counts.items():
                    key = (route_of(cls, path), status)
                    counts[key] = counts.get(key, 0) + count
                notes.counts.clear()
                self._tell("requests_counted", hub, counts)

    def request_finished(self, hub: Hub, handler: tornado.web.RequestHandler, route: str) -> None:
        """Tell the ``request_finished`` observers a request finished (synchronous; failures
        are logged, awaitables closed unrun)."""
        observers = self.observers("request_finished")
        if observers is None:
            try:
                self.pm.hook.request_finished(hub=hub, handler=handler, route=route)
            except Exception:
                log.exception("A plugin failed in request_finished")
            return
        for answer in notify(observers, "request_finished", hub, handler, route) or ():
            if inspect.iscoroutine(answer):
                answer.close()  # the hookspec says it is not awaited: no warning, no work

    # -- both ------------------------------------------------------------------------

    def _tell(self, hook_name: str, hub: Hub, batch: Any) -> None:
        """Call a batch hook's observers; their awaitables run in the background."""
        if not self.has_impl(hook_name):
            return
        observers = self.observers(hook_name)
        if observers is None:
            caller = getattr(self.pm.hook, hook_name)
            argument = caller.spec.argnames[1]  # ``calls`` or ``requests``
            self._in_background(self._each(caller, swallow=True, hub=hub, **{argument: batch}))
            return
        waiting = notify(observers, hook_name, hub, batch)
        if waiting is not None:
            self._in_background(await_each(waiting, hook_name))

    def _in_background(self, waiting: Awaitable[None] | None) -> None:
        """Run an observer's awaitable as a task, held until it is done."""
        if waiting is not None:
            task = asyncio.ensure_future(waiting)
            self._running.add(task)
            task.add_done_callback(self._running.discard)


class RequestNotes:
    """One hub's requests finished since the observers were last told."""

    __slots__ = ("counts", "handlers", "route_of")

    def __init__(self, route_of: RouteOf) -> None:
        self.route_of = route_of
        self.handlers: list[tornado.web.RequestHandler] = []
        """For ``requests_finished``, in order."""
        self.counts: dict[tuple[type, str, int], int] = {}
        """For ``requests_counted``: how many by handler class, path and status."""


def tell_observers(hub: Hub) -> None:
    """Tell the observer hooks now about every tool call and request that finished so far
    (they hear of them within ``TELL_EVERY_S`` anyway): for a read that must count all of
    them, such as a metrics scrape."""
    hub.plugins.observing.tell_now()
