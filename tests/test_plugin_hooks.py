"""Every hook call goes through pluggy: hookwrappers and MCPHUB_TRACE_PLUGINS see them all,
failures are isolated where the hookspec says so, and the plugin set is fixed at start."""

from __future__ import annotations

import asyncio
import gc
import inspect
import logging
import warnings
from collections.abc import Generator
from types import SimpleNamespace
from typing import Any

import httpx2
import pytest

from hub import hookimpl, hookspecs
from hub.app import Hub, HubOptions
from hub.auth.principal import Principal
from hub.plugin_api import tell_observers
from hub.plugins import Plugins
from hub.plugins.observing import TELL_EVERY_S
from hub.server import HubServer
from hub.testing import RawMcp, reply, wait_for
from hub.upstream.calls import ToolCall
from tests.mcp_fixtures import http_server, wait_connected

KEY = "key-all-0123456789abcdef"
HOOKS = sorted(
    name
    for name, fn in inspect.getmembers(hookspecs, inspect.isfunction)
    if hasattr(fn, "mcphub_spec")
)


@pytest.fixture
def hub_settings(everything: Any) -> dict[str, Any]:
    return {
        "mcpServers": {"ev": http_server(everything.url)},
        "bearerKeys": [{"id": "k1", "name": "all", "token": KEY, "accessType": "all"}],
    }


def see_everything() -> Any:
    """A plugin with a new-style wrapper around every hook, recording each call by name."""
    seen: list[str] = []

    def wrapper_for(name: str) -> Any:
        def wrapper(self: Any) -> Generator[None, Any, Any]:
            seen.append(name)
            return (yield)

        wrapper.__name__ = name
        return hookimpl(wrapper=True)(wrapper)

    cls = type("SeeEverything", (), {name: wrapper_for(name) for name in HOOKS})
    plugin = cls()
    plugin.seen = seen
    return plugin


async def test_a_hookwrapper_sees_every_hook_the_core_calls(
    register_plugin: Any, hub_options: HubOptions, hub_plugins: Plugins
) -> None:
    spy = see_everything()
    register_plugin(spy, name="spy")
    server = HubServer(hub_options, hub=Hub(hub_options, plugins=hub_plugins))
    await server.start()
    try:
        await wait_connected(server.hub, "ev")
        async with httpx2.AsyncClient(base_url=f"http://{server.address}") as http:
            # No credential at all: the authenticators find nobody, the hook is asked.
            assert (await http.get("/api/servers")).status_code == 401
            # An MCP 401 asks which protected-resource metadata to name.
            assert (await RawMcp(http, "/mcp").initialize()).status_code == 401
            mcp = RawMcp(http, "/mcp", {"Authorization": f"Bearer {KEY}"})
            assert (await mcp.initialize()).status_code == 200
            called = reply(await mcp.call("tools/call", {"name": "ev-echo", "arguments": {}}))
            assert "result" in called
    finally:
        await server.stop()
    assert sorted(set(spy.seen)) == HOOKS
    assert spy.seen.count("startup") == spy.seen.count("shutdown") == 1


async def test_trace_switch_logs_hook_calls(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, hub_options: HubOptions
) -> None:
    monkeypatch.setenv("MCPHUB_TRACE_PLUGINS", "1")
    server = HubServer(hub_options, hub=Hub(hub_options, plugins=Plugins()))
    with caplog.at_level(logging.INFO, logger="hub.plugins"):
        await server.start()
        try:
            async with httpx2.AsyncClient(base_url=f"http://{server.address}") as http:
                assert (await http.get("/api/servers")).status_code == 401
        finally:
            await server.stop()
    traced = [r.getMessage() for r in caplog.records if r.name == "hub.plugins"]
    for hook in ("register_storage", "startup", "principal_from_request", "shutdown"):
        assert any(line.startswith(f"hook {hook} -> ") for line in traced), (hook, traced)
    asked = next(line for line in traced if line.startswith("hook permission_allowed -> "))
    assert "hub.defaults" in asked


def test_without_the_switch_nothing_is_traced(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.delenv("MCPHUB_TRACE_PLUGINS", raising=False)
    with caplog.at_level(logging.INFO, logger="hub.plugins"):
        Plugins().load().transports()
    assert not [r for r in caplog.records if r.getMessage().startswith("hook ")]


class Ran:
    """Plugins append here what actually ran."""

    log: list[str] = []


class FailsAsync:
    @hookimpl
    async def shutdown(self) -> None:
        Ran.log.append("fails-async")
        raise RuntimeError("boom in shutdown")

    @hookimpl
    async def startup(self) -> None:
        raise RuntimeError("boom in startup")


class Records:
    @hookimpl
    async def shutdown(self) -> None:
        Ran.log.append("records")

    @hookimpl
    async def startup(self) -> None:
        Ran.log.append("records-startup")


class FailsSync:
    @hookimpl
    def shutdown(self) -> None:
        Ran.log.append("fails-sync")
        raise RuntimeError("boom, synchronously")


class FailsShutdownOnly:
    @hookimpl
    async def shutdown(self) -> None:
        Ran.log.append("fails-async")
        raise RuntimeError("boom in shutdown")


async def test_a_failing_async_shutdown_does_not_stop_the_others(
    hub_options: HubOptions, caplog: pytest.LogCaptureFixture
) -> None:
    plugins = Plugins().load()
    plugins.register(Records(), name="records")  # pluggy calls the last registered first
    plugins.register(FailsShutdownOnly(), name="fails")
    Ran.log = []
    hub = Hub(hub_options, plugins=plugins)
    await hub.start()
    with caplog.at_level(logging.ERROR, logger="hub.plugins"):
        await hub.stop()
    assert Ran.log == ["records-startup", "fails-async", "records"]
    assert any(
        r.getMessage() == "Plugin fails failed in shutdown" and r.exc_info for r in caplog.records
    )


async def test_a_synchronous_raise_in_shutdown_is_logged_and_the_stop_completes(
    hub_options: HubOptions, caplog: pytest.LogCaptureFixture
) -> None:
    plugins = Plugins().load()
    plugins.register(FailsSync(), name="fails-sync")
    Ran.log = []
    hub = Hub(hub_options, plugins=plugins)
    await hub.start()
    with caplog.at_level(logging.ERROR, logger="hub.plugins"):
        await hub.stop()
    assert Ran.log == ["fails-sync"]
    assert not hub.started
    assert "A plugin failed in shutdown; hookimpls after it were skipped" in caplog.text


async def test_a_failing_startup_aborts_and_leaves_no_coroutine_unawaited(
    hub_options: HubOptions,
) -> None:
    plugins = Plugins().load()
    plugins.register(Records(), name="records")  # called after the failing one
    plugins.register(FailsAsync(), name="fails")
    Ran.log = []
    hub = Hub(hub_options, plugins=plugins)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with pytest.raises(RuntimeError, match="boom in startup"):
            await hub.start()
        await hub.stop()
        gc.collect()
    assert "records-startup" not in Ran.log, "the later startup must not run after a failure"
    assert not [w for w in caught if "never awaited" in str(w.message)]


class AcceptsFirst:
    @hookimpl
    async def principal_from_request(self) -> Principal | None:
        return Principal(name="first", is_admin=False)


class AsksLater:
    bodies_run = 0

    @hookimpl
    async def principal_from_request(self) -> Principal | None:
        AsksLater.bodies_run += 1
        return Principal(name="later", is_admin=False)


async def test_first_result_closes_the_answers_after_the_winner(hub_options: HubOptions) -> None:
    plugins = Plugins().load()
    plugins.register(AsksLater(), name="later")
    plugins.register(AcceptsFirst(), name="first")  # registered last: asked first
    AsksLater.bodies_run = 0
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        principal = await plugins.principal_from_request(Hub(hub_options), None)  # type: ignore[arg-type]
        gc.collect()
    assert principal is not None and principal.name == "first"
    assert AsksLater.bodies_run == 0
    assert not [w for w in caught if "never awaited" in str(w.message)]


async def test_registering_a_plugin_after_start_is_refused(hub_server: HubServer) -> None:
    class Late:
        @hookimpl
        def startup(self) -> None:
            """Never runs."""

    plugins = hub_server.hub.plugins
    with pytest.raises(RuntimeError, match="cannot register plugin 'late': the hub has already"):
        plugins.register(Late(), name="late")
    assert not plugins.pm.has_plugin("late")
    await hub_server.stop()
    assert plugins.register(Late(), name="late") == "late"
    plugins.unregister("late")


class Observer:
    """An ``after_tool_call`` / ``request_finished`` hookimpl that notes its calls."""

    def __init__(self, name: str, seen: list[Any], fail: bool = False) -> None:
        self.name, self.seen, self.fail = name, seen, fail

    @hookimpl
    def after_tool_call(self, call: Any, error: Any) -> None:  # fewer arguments than the spec
        self.seen.append((self.name, call, error))
        if self.fail:
            raise RuntimeError(f"{self.name} failed")

    @hookimpl
    def request_finished(self, hub: Any, handler: Any, route: str) -> Any:
        self.seen.append((self.name, route))
        if self.fail:
            raise RuntimeError(f"{self.name} failed")
        return None


class AsyncObserver:
    def __init__(self, seen: list[Any]) -> None:
        self.seen = seen

    @hookimpl(tryfirst=True)
    async def after_tool_call(self, hub: Any, call: Any, result: Any, error: Any) -> None:
        self.seen.append(("async", call, error))


def observing(*plugins: object) -> Plugins:
    """A plugin manager holding only ``plugins`` (no entry points loaded)."""
    plugins_ = Plugins()
    for plugin in plugins:
        plugins_.pm.register(plugin)
    return plugins_


async def test_observers_run_in_pluggys_order_and_a_failure_stops_none(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The direct calls keep pluggy's order (tryfirst, then the last registered first),
    pass each hookimpl the arguments it names, await the async ones, and log a failing one
    without skipping those after it (pluggy's own loop would have stopped there)."""
    seen: list[Any] = []
    plugins = observing(Observer("a", seen), Observer("b", seen, fail=True), AsyncObserver(seen))
    assert plugins.observing.observers("after_tool_call") is not None
    with caplog.at_level(logging.ERROR, logger="hub.plugins"):
        waiting = plugins.observing.after_tool_call("hub", "call-1", {"content": []}, None)
        assert seen == [("b", "call-1", None), ("a", "call-1", None)]  # async not yet run
        assert waiting is not None
        await waiting
    assert seen[-1] == ("async", "call-1", None)
    assert "b failed" in caplog.text and "Observer.after_tool_call" in caplog.text
    seen.clear()
    plugins.observing.request_finished("hub", "handler", "/mcp")  # type: ignore[arg-type]
    assert seen == [("b", "/mcp"), ("a", "/mcp")]


async def test_observers_with_only_plain_hookimpls_need_no_await() -> None:
    seen: list[Any] = []
    plugins = observing(Observer("a", seen))
    assert plugins.observing.after_tool_call("hub", "call", None, ValueError("x")) is None  # type: ignore[arg-type]
    assert seen[0][:2] == ("a", "call") and isinstance(seen[0][2], ValueError)


async def test_a_wrapper_or_tracing_puts_observers_back_on_pluggy(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A hookwrapper must see the call, so the hook goes through ``pm.hook`` again; the
    same with ``MCPHUB_TRACE_PLUGINS``. Registering a plugin forgets what was decided."""
    seen: list[Any] = []
    plugins = observing(Observer("a", seen))
    assert plugins.observing.observers("after_tool_call") is not None
    wrapper = see_everything()
    plugins.register(wrapper)
    assert plugins.observing.observers("after_tool_call") is None
    waiting = plugins.observing.after_tool_call("hub", "call", None, None)  # type: ignore[arg-type]
    assert waiting is not None
    await waiting
    assert wrapper.seen == ["after_tool_call"] and seen == [("a", "call", None)]
    monkeypatch.setenv("MCPHUB_TRACE_PLUGINS", "1")
    monkeypatch.setenv("MCPHUB_LOAD_PLUGINS", "")
    traced = Plugins().load()
    assert traced.observing.observers("after_tool_call") is None


class BatchObserver:
    """``after_tool_calls`` / ``requests_finished`` hookimpls that note each batch."""

    def __init__(self, seen: list[Any], fail: bool = False) -> None:
        self.seen, self.fail = seen, fail

    @hookimpl
    def after_tool_calls(self, hub: Any, calls: list[Any]) -> None:
        self.seen.append(("calls", hub, [(c.tool, r, e) for c, r, e in calls]))
        if self.fail:
            raise RuntimeError("batch failed")

    @hookimpl
    def requests_finished(self, hub: Any, requests: list[Any]) -> None:
        self.seen.append(("requests", hub, list(requests)))


class CountingObserver:
    """A ``requests_counted`` hookimpl that notes each count."""

    def __init__(self, seen: list[Any]) -> None:
        self.seen = seen

    @hookimpl
    def requests_counted(self, hub: Any, counts: dict[tuple[str, int], int]) -> None:
        self.seen.append(("counted", hub, dict(counts)))


def tool_call(name: str) -> ToolCall:
    return ToolCall("srv", name, {}, None)


async def test_finished_calls_are_observed_on_the_next_turn_a_turn_at_a_time(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Nothing runs while the call's reply is being made; on the loop's next turn each
    hub's calls of the turn reach ``after_tool_calls`` in one list, then each reaches
    ``after_tool_call``; a failing batch observer stops neither the other nor those."""
    seen: list[Any] = []
    plugins = observing(BatchObserver(seen, fail=True), BatchObserver(seen), Observer("a", seen))
    plugins.observing.tell_every = 0  # told on the loop's next turn
    first, second, other = tool_call("t1"), tool_call("t2"), tool_call("t3")
    assert plugins.observing.observes_tool_calls()
    with caplog.at_level(logging.ERROR, logger="hub.plugins"):
        plugins.observing.tool_call_finished("hub-a", first, {"content": []}, None)  # type: ignore[arg-type]
        plugins.observing.tool_call_finished("hub-b", other, None, None)  # type: ignore[arg-type]
        error = ValueError("x")
        plugins.observing.tool_call_finished("hub-a", second, None, error)  # type: ignore[arg-type]
        assert seen == [] and first.finished is not None and first.finished <= second.finished  # type: ignore[operator]
        await asyncio.sleep(0)
    batch_a = ("calls", "hub-a", [("t1", {"content": []}, None), ("t2", None, error)])
    assert seen[:2] == [batch_a, batch_a]
    assert seen[2:4] == [("a", first, None), ("a", second, error)]
    assert seen[4:] == [("calls", "hub-b", [("t3", None, None)])] * 2 + [("a", other, None)]
    assert caplog.text.count("BatchObserver.after_tool_calls failed in after_tool_calls") == 2


async def test_calls_are_told_together_a_moment_later_or_on_demand_at_once() -> None:
    """What finishes within ``tell_every`` of the first call noted is told in one batch,
    ``tell_every`` after it; ``tell_observers`` tells at once, and the telling that was
    scheduled then finds nothing left; the hub's shutdown tells them too."""
    assert 0 < TELL_EVERY_S <= 0.05  # the hub's own: a few ms
    seen: list[Any] = []
    plugins = observing(BatchObserver(seen))
    plugins.observing.tell_every = every = 0.3  # long enough for a loaded test machine
    hub = SimpleNamespace(plugins=plugins)
    loop = asyncio.get_running_loop()
    started = loop.time()
    for name in ("t1", "t2"):
        plugins.observing.tool_call_finished("hub", tool_call(name), None, None)  # type: ignore[arg-type]
        await asyncio.sleep(0)
    assert seen == []  # not on the next turn: they wait for each other
    await wait_for(lambda: len(seen) == 1, every=0.005)
    assert loop.time() - started >= every * 0.9
    assert seen[0] == ("calls", "hub", [("t1", None, None), ("t2", None, None)])
    plugins.observing.tool_call_finished("hub", tool_call("t3"), None, None)  # type: ignore[arg-type]
    tell_observers(hub)  # type: ignore[arg-type]
    assert seen[1] == ("calls", "hub", [("t3", None, None)])
    await asyncio.sleep(every * 1.5)  # the telling scheduled for t3 has nothing to tell
    assert len(seen) == 2
    plugins.observing.tool_call_finished("hub", tool_call("t4"), None, None)  # type: ignore[arg-type]
    await plugins.shutdown(hub)  # type: ignore[arg-type]
    assert seen[2] == ("calls", "hub", [("t4", None, None)])  # told before the hub stops


async def test_async_observers_of_finished_calls_run_as_tasks() -> None:
    seen: list[Any] = []
    plugins = observing(AsyncObserver(seen))
    call = tool_call("t")
    plugins.observing.tool_call_finished("hub", call, None, None)  # type: ignore[arg-type]
    await wait_for(lambda: seen == [("async", call, None)])


class Finished:
    """What the request hooks read of a handler: its class, path and status."""

    def __init__(self, path: str, status: int = 200) -> None:
        self.request = SimpleNamespace(path=path)
        self.status = status

    def get_status(self) -> int:
        return self.status


async def test_finished_requests_are_noted_then_labelled_and_counted_together() -> None:
    """``requests_finished`` gets each request with its route, ``requests_counted`` how
    many by route and status; both a moment after, and the routes are worked out then (once
    per class and path), not on the request's path."""
    seen: list[Any] = []
    plugins = observing(BatchObserver(seen), CountingObserver(seen))
    plugins.observing.tell_every = 0  # told on the loop's next turn
    asked: list[tuple[type, str]] = []

    def route_of(cls: type, path: str) -> str:
        asked.append((cls, path))
        return "/mcp/{segment}" if path != "/mcp" else "/mcp"

    note = plugins.observing.request_notes("hub", route_of)  # type: ignore[arg-type]
    assert note is not None
    handlers = [Finished("/mcp"), Finished("/mcp/a"), Finished("/mcp/b", 404), Finished("/mcp")]
    for handler in handlers:
        note(handler)  # type: ignore[arg-type]
    assert seen == [] and asked == []  # labelled when observed, not on the request's path
    await asyncio.sleep(0)
    routes = ["/mcp", "/mcp/{segment}", "/mcp/{segment}", "/mcp"]
    assert seen[0] == ("requests", "hub", list(zip(handlers, routes, strict=True)))
    counts = {("/mcp", 200): 2, ("/mcp/{segment}", 200): 1, ("/mcp/{segment}", 404): 1}
    assert seen[1] == ("counted", "hub", counts)
    note(handlers[0])  # type: ignore[arg-type]
    plugins.observing.tell_now()  # as a scrape does (``tell_observers``)
    assert seen[2:] == [
        ("requests", "hub", [(handlers[0], "/mcp")]),
        ("counted", "hub", {("/mcp", 200): 1}),
    ]
    await asyncio.sleep(0)
    assert len(seen) == 4  # nothing left for the telling that was scheduled


def test_requests_are_not_noted_without_an_observer_of_them() -> None:
    plugins = observing(CountingObserver([]))
    assert plugins.observing.request_notes("hub", str) is not None  # type: ignore[arg-type]
    assert observing().observing.request_notes("hub", str) is None  # type: ignore[arg-type]


def test_whether_calls_are_observed_is_asked_again_when_a_plugin_comes() -> None:
    plugins = observing()
    assert not plugins.observing.observes_tool_calls()
    plugins.register(BatchObserver([]))
    assert plugins.observing.observes_tool_calls()
