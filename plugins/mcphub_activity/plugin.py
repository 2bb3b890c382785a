"""Hookimpls: record every finished tool call, expire old records daily, expose counters.

``after_tool_calls`` is a plain ``def``: queueing a turn's calls costs no await and no I/O.
The recorder makes their call rows (``hub.activity_calls``) a few dozen at a time, and the
store makes the records from them, the SQLite store in its writer process. Records follow
``hub.plugin_api.ActivityLog``'s fields.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import weakref
from collections.abc import Awaitable, Callable, Iterator, Sized
from typing import Any, cast

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric

from hub.activity_calls import pack_rows, record_of_call
from hub.plugin_api import (
    ActivityLog,
    ChangeEvent,
    FinishedCall,
    HubError,
    Kind,
    PerHub,
    activity_log,
    hookimpl,
)
from hub.plugin_api import Hub as HubType
from mcphub_activity.recorder import Recorder

log = logging.getLogger(__name__)

CLEANUP_INTERVAL_S = 86_400.0
"""How often records older than ``observability.activityRetentionDays`` are deleted."""
UPSTREAM_ERROR = "Tool returned error response"
"""MCPHub's ``errorMessage`` of a call whose result has ``isError: true``."""
MAX_ERROR = 1000
"""Characters of an error message kept (an upstream's error text can be long)."""

SWITCH_MEMORY_S = 10.0
"""Seconds a change of the activities setting is remembered: calls are told to observers
milliseconds after they finish."""

_recorders: PerHub[Recorder] = PerHub()
_switches: PerHub[Switches] = PerHub()
_cleaners: weakref.WeakKeyDictionary[HubType, asyncio.Task[None]] = weakref.WeakKeyDictionary()
_unsubscribe: weakref.WeakKeyDictionary[HubType, Callable[[], None]] = weakref.WeakKeyDictionary()


def error_message(error: BaseException) -> str:
    if isinstance(error, HubError):
        return error.message
    if isinstance(error, asyncio.CancelledError):
        return "Cancelled"
    inner = getattr(error, "error", None)  # an MCPError carries the JSON-RPC error
    message = getattr(inner, "message", None)
    return str(message if isinstance(message, str) else error) or type(error).__name__


def row_maker(hub: HubType) -> Callable[[FinishedCall], tuple[Any, ...]]:
    """``row_of(finished)``: the call row (``hub.activity_calls``) of one of ``hub``'s
    finished calls, its ``input`` and ``output`` the call's own arguments and result: the
    recorder packs a few dozen rows at once (``pack_rows``), and whoever makes the records
    makes the summaries."""

    def row_of(finished: FinishedCall) -> tuple[Any, ...]:
        call, result, error = finished
        principal = call.principal
        if principal is None:
            key_id = key_name = user = None
        elif principal.kind == "key":
            key_id, key_name, user = principal.key_id, principal.name.removeprefix("key:"), None
        else:
            key_id, key_name, user = None, None, principal.name
        if error is not None:
            status, message = "error", error_message(error)[:MAX_ERROR]
        elif result is not None and result.get("isError"):
            status, message = "error", UPSTREAM_ERROR
        else:
            status, message = "success", None
        end = call.finished
        group = call.group
        return (
            call.timestamp,
            call.server,
            call.tool,
            round(((time.perf_counter() if end is None else end) - call.started) * 1000),
            status,
            call.arguments,
            result if error is None else None,
            None if group is None else _group_name(hub, group),
            key_id,
            key_name,
            message,
            user,
            call.via,
        )

    return row_of


def rows_writer(
    store: ActivityLog,
) -> tuple[Callable[[list[Any]], Sized], Callable[[list[Any]], Awaitable[None]] | None]:
    """The recorder's ``pack`` and ``write`` for call rows: packed (``pack_rows``) for the
    store's own ``add_calls`` when it has one (it makes the records where it likes), else
    made into records at once, which the recorder's own ``write`` appends."""
    add_calls = getattr(store, "add_calls", None)
    if add_calls is not None:
        return pack_rows, cast("Callable[[list[Any]], Awaitable[None]]", add_calls)

    def records(rows: list[Any]) -> list[dict[str, Any]]:
        return [record_of_call(row) for row in rows]

    return records, None


def _group_name(hub: HubType, group_id: str) -> str:
    """A group route's group by name (as MCPHub records the route's segment)."""
    group = hub.config.groups.get(group_id)
    return group.name if group is not None else group_id


class RecorderCollector:
    """The writer's counters as Prometheus metrics, read at scrape time."""

    def __init__(self, hub: HubType) -> None:
        self.hub = hub

    def collect(self) -> Iterator[Metric]:
        rec = _recorders.get(self.hub)
        if rec is None:
            return
        for name, help_text, value in (
            ("mcphub_activities_written", "Activity records committed to the store", rec.written),
            (
                "mcphub_activities_dropped",
                "Activity records dropped: the queue was full",
                rec.dropped,
            ),
            ("mcphub_activities_failed", "Activity records lost to a failed write", rec.failed),
        ):
            yield CounterMetricFamily(name, help_text, value=value)
        yield GaugeMetricFamily(
            "mcphub_activities_queued", "Activity records waiting to be written", rec.queued
        )
        yield GaugeMetricFamily(
            "mcphub_activities_backlog_peak",
            "Most activity records waiting at once, seen when a write began (what a kill at "
            "the worst moment would lose)",
            rec.peak,
        )


@hookimpl
async def startup(hub: HubType) -> None:
    store = activity_log(hub.store)
    if store is None:
        log.info("The %s store keeps no activity log; activities are off", hub.store.name)
        return
    pack, write = rows_writer(store)
    rec = Recorder(store, build=row_maker(hub), pack=pack, write=write)
    rec.start()
    _recorders.set(hub, rec)
    changed = asyncio.Event()
    switches = Switches(hub.config.system.observability.activities)
    _switches.set(hub, switches)

    def on_event(event: ChangeEvent) -> None:
        if event.kind == Kind.SYSTEM:
            changed.set()
            switches.note(hub.config.system.observability.activities)

    _unsubscribe[hub] = hub.bus.subscribe(on_event)
    _cleaners[hub] = asyncio.get_running_loop().create_task(
        _expire_daily(hub, changed), name="activity-retention"
    )
    with contextlib.suppress(ValueError):  # registered already by an earlier start of this hub
        hub.metrics.register(RecorderCollector(hub))


@hookimpl
async def shutdown(hub: HubType) -> None:
    unsubscribe = _unsubscribe.pop(hub, None)
    if unsubscribe is not None:
        unsubscribe()
    cleaner = _cleaners.pop(hub, None)
    if cleaner is not None:
        cleaner.cancel()
        await asyncio.gather(cleaner, return_exceptions=True)
    _switches.pop(hub)
    rec = _recorders.pop(hub)
    if rec is not None:
        await rec.close()


@hookimpl
def after_tool_calls(hub: HubType, calls: list[FinishedCall]) -> None:
    rec = _recorders.get(hub)
    switches = _switches.get(hub)
    if rec is None or switches is None:
        return
    if not switches.changes:  # the usual case: the same setting for every call
        if switches.now:
            rec.offer_all(calls)
        return
    rec.offer_all([c for c in calls if switches.at(c[0].finished)])
    switches.forget_before(time.perf_counter() - SWITCH_MEMORY_S)


class Switches:
    """Whether activities were on, over time: a call is recorded by the setting when it
    finished, though observers hear of it a moment later."""

    def __init__(self, now: bool) -> None:
        self.now = now
        self.changes: list[tuple[float, bool]] = []
        """``(perf_counter, value)`` of recent changes, oldest first."""

    def note(self, value: bool) -> None:
        if value != self.now:
            self.now = value
            self.changes.append((time.perf_counter(), value))

    def at(self, moment: float | None) -> bool:
        """The setting at ``moment`` (a ``perf_counter`` time; None: now)."""
        if moment is None:
            return self.now
        value = not self.changes[0][1] if self.changes else self.now
        for when, changed_to in self.changes:
            if when > moment:
                break
            value = changed_to
        return value

    def forget_before(self, moment: float) -> None:
        """Drop changes older than ``moment``. Changes alternate, so the setting before the
        first one left is still the opposite of it (and with none left, ``now``)."""
        self.changes = [change for change in self.changes if change[0] >= moment]


async def _expire_daily(hub: HubType, changed: asyncio.Event) -> None:
    """Delete records past the retention period now, then every ``CLEANUP_INTERVAL_S`` and
    whenever the system config changes (a shorter retention applies at once)."""
    store = activity_log(hub.store)
    while store is not None:
        days = hub.config.system.observability.activity_retention_days
        if days > 0:
            try:
                deleted = await store.delete_activities(time.time() - days * 86_400.0)
            except Exception:
                log.exception("Activity retention cleanup failed")
            else:
                if deleted:
                    log.info("Deleted %d activity records older than %d days", deleted, days)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(changed.wait(), CLEANUP_INTERVAL_S)
        changed.clear()
