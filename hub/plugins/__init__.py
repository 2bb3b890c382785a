"""The plugin manager and the typed facade through which the core calls hooks.

Plugins (built-in ones included) are found through the ``mcphub`` entry-point group, loaded
once, and validated with ``check_pending`` so a misspelled hookimpl fails at start. Nothing
outside this package touches ``pm.hook``.

The observer hooks, called on every call and request, take the shorter way of
``hub.plugins.observing``.
"""

from __future__ import annotations

import asyncio
import importlib.metadata
import importlib.util
import inspect
import logging
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pluggy

from hub import hookspecs
from hub.plugins.observing import Observing
from hub.registry import Registry

if TYPE_CHECKING:
    import tornado.httputil
    import tornado.web
    from pluggy import HookCaller

    from hub.app import Hub
    from hub.auth.permissions import Resource
    from hub.auth.principal import Principal
    from hub.upstream.calls import ToolCall

log = logging.getLogger(__name__)

OWN_DISTRIBUTION = "mcphub-py"
ESSENTIAL = "hub.defaults"
"""The core's own default hookimpls: always registered, never blockable."""


@dataclass
class PluginInfo:
    """What ``mcphub plugins`` and ``GET /api/plugins`` show about one plugin."""

    name: str
    version: str | None
    distribution: str | None
    hooks: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "version": self.version,
            "distribution": self.distribution,
            "hooks": self.hooks,
        }


def _split_env(name: str) -> list[str] | None:
    raw = os.environ.get(name)
    if raw is None:
        return None
    return [part.strip() for part in raw.split(",") if part.strip()]


class Plugins:
    """Loads plugins once and calls hooks on the core's behalf, awaiting async hookimpls."""

    def __init__(self, plugins_dir: Path | None = None) -> None:
        self.pm = pluggy.PluginManager(hookspecs.NAME)
        self.pm.add_hookspecs(hookspecs)
        self._dists: dict[str, importlib.metadata.Distribution | None] = {}
        self._plugins_dir = plugins_dir
        self._loaded = False
        self.observing = Observing(self.pm, self._each)
        """The observer hooks, called on every call's and request's path."""
        self.started = False
        """Set by the hub while it runs; ``register`` refuses new plugins then."""

    # -- loading ---------------------------------------------------------------------

    def load(self) -> Plugins:
        """Load entry-point plugins (and ``--plugins-dir`` files) once; later calls do nothing."""
        if self._loaded:
            return self
        self._loaded = True
        self._forget_impls()
        blocked = set(_split_env("MCPHUB_DISABLE_PLUGINS") or []) - {ESSENTIAL}
        allowed = _split_env("MCPHUB_LOAD_PLUGINS")
        from hub.auth import defaults

        self.pm.register(defaults, name=ESSENTIAL)
        for name in blocked:
            self.pm.set_blocked(name)
        for ep in importlib.metadata.entry_points(group=hookspecs.NAME):
            dist = ep.dist
            third_party = dist is None or dist.metadata["Name"] != OWN_DISTRIBUTION
            if ep.name in blocked or self.pm.has_plugin(ep.name):
                continue
            if third_party and allowed is not None and ep.name not in allowed:
                continue
            try:
                module = ep.load()
            except Exception:
                # One broken plugin must not take the hub down; say which one it was.
                log.exception("Plugin %s failed to load; it is skipped", ep.name)
                continue
            self.pm.register(module, name=ep.name)
            self._dists[ep.name] = dist
        if self._plugins_dir:
            self._load_dir(self._plugins_dir, blocked)
        self.pm.check_pending()
        if os.environ.get("MCPHUB_TRACE_PLUGINS"):
            self.observing.traced = True
            self.pm.add_hookcall_monitoring(
                lambda hook, impls, kw: log.info(
                    "hook %s -> %s", hook, [i.plugin_name for i in impls]
                ),
                lambda outcome, hook, impls, kw: None,
            )
        return self

    def _load_dir(self, directory: Path, blocked: set[str]) -> None:
        for path in sorted(directory.glob("*.py")):
            name = path.stem
            if name in blocked or self.pm.has_plugin(name):
                continue
            spec = importlib.util.spec_from_file_location(f"mcphub_dir_plugin_{name}", path)
            if spec is None or spec.loader is None:
                continue
            module = importlib.util.module_from_spec(spec)
            sys.modules[spec.name] = module
            spec.loader.exec_module(module)
            self.pm.register(module, name=name)
            self._dists[name] = None

    def register(self, plugin: object, name: str | None = None) -> str:
        """Register an in-process plugin object (tests, embedding applications).

        Only before the hub starts: registries, routes and the authenticator list are read
        once at start, so a plugin added later would be half there. That is refused loudly.
        """
        if self.started:
            label = name or getattr(plugin, "__name__", type(plugin).__name__)
            raise RuntimeError(
                f"cannot register plugin {label!r}: the hub has already started; "
                "register plugins before Hub.start() (registries and routes are read at start)"
            )
        self._forget_impls()
        registered = self.pm.register(plugin, name=name)
        if registered is None:
            raise ValueError(f"plugin {name!r} is blocked")
        self.pm.check_pending()
        return registered

    def unregister(self, name: str) -> None:
        self._forget_impls()
        self.pm.unregister(name=name)

    def _forget_impls(self) -> None:
        """Drop what was remembered about hookimpls (a plugin came or went)."""
        self.observing.forget()

    def info(self) -> list[PluginInfo]:
        """Name, version and implemented hooks of every loaded plugin, sorted by name."""
        out = []
        for name, plugin in self.pm.list_name_plugin():
            if plugin is None or plugin is hookspecs:
                continue  # None: a blocked name
            dist = self._dists.get(name)
            hooks = sorted(h.name for h in self.pm.get_hookcallers(plugin) or [])
            out.append(
                PluginInfo(
                    name=name,
                    version=dist.version if dist else None,
                    distribution=dist.metadata["Name"] if dist else None,
                    hooks=hooks,
                )
            )
        return sorted(out, key=lambda p: p.name)

    # -- registries ------------------------------------------------------------------

    def _registry(self, kind: str, caller: HookCaller) -> Registry[Any]:
        # pluggy's call order (tryfirst first, then last registered first); a duplicate name
        # raises from inside the hook call, which aborts the start.
        registry: Registry[Any] = Registry(kind)
        caller(register=registry)
        return registry

    def transports(self) -> Registry[Any]:
        return self._registry("transport", self.pm.hook.register_transports)

    def storage(self) -> Registry[Any]:
        return self._registry("storage backend", self.pm.hook.register_storage)

    def authenticators(self) -> Registry[Any]:
        return self._registry("authenticator", self.pm.hook.register_authenticators)

    def catalogs(self) -> Registry[Any]:
        return self._registry("catalog", self.pm.hook.register_catalogs)

    def search_providers(self) -> Registry[Any]:
        return self._registry("search provider", self.pm.hook.register_search_index)

    def routes(self, hub: Hub) -> list[tuple[str, Any, dict[str, Any]]]:
        out: list[tuple[str, Any, dict[str, Any]]] = []
        for routes in self.pm.hook.register_routes(hub=hub):
            out.extend(routes or [])
        return out

    # -- calls -----------------------------------------------------------------------

    async def _each(self, caller: HookCaller, swallow: bool, **kwargs: Any) -> None:
        """Call every hookimpl through pluggy, then await what each returned, in call order.

        pluggy calls the hookimpls one after the other; an ``async def`` one only returns
        its coroutine, so its body runs here, each awaited on its own. With ``swallow`` a
        failing awaitable is logged and the next one still runs; without it the remaining
        awaitables are closed unrun and the error propagates. A hookimpl that raises
        synchronously ends pluggy's loop: hookimpls after it in call order are not called.
        """
        try:
            results = caller(**kwargs)
        except Exception:
            if not swallow:
                raise
            log.exception("A plugin failed in %s; hookimpls after it were skipped", caller.name)
            return
        for index, result in enumerate(results):
            if result is None or not inspect.isawaitable(result):
                continue  # a plain hookimpl's None: most answers, and the cheapest test
            try:
                await result
            except Exception:
                if not swallow:
                    _discard(results[index + 1 :])
                    raise
                log.exception("Plugin %s failed in %s", _owner(caller, result), caller.name)

    async def _first(self, caller: HookCaller, **kwargs: Any) -> Any:
        """The first non-None answer in call order, awaiting each answer in turn.

        The hookspec is not pluggy-``firstresult``: that would stop at the first coroutine
        object even when it resolves to None. pluggy calls every hookimpl (an ``async def``
        one just returns its coroutine); the answers are awaited in order, and the
        awaitables after the winner are closed without running, so none is left un-awaited.
        """
        results = caller(**kwargs)
        for index, result in enumerate(results):
            answer = result
            if result is not None and inspect.isawaitable(result):
                try:
                    answer = await result
                except BaseException:
                    _discard(results[index + 1 :])
                    raise
            if answer is not None:
                _discard(results[index + 1 :])
                return answer
        return None

    async def principal_from_request(
        self, hub: Hub, request: tornado.httputil.HTTPServerRequest
    ) -> Principal | None:
        """First non-None principal, each hookimpl's answer awaited in turn."""
        principal: Principal | None = await self._first(
            self.pm.hook.principal_from_request, hub=hub, request=request
        )
        return principal

    async def permission_allowed(
        self, hub: Hub, principal: Principal | None, action: str, resource: Resource
    ) -> bool | None:
        """True or False from the first hookimpl with an opinion; None if none had one."""
        answer = await self._first(
            self.pm.hook.permission_allowed,
            hub=hub,
            principal=principal,
            action=action,
            resource=resource,
        )
        return None if answer is None else bool(answer)

    async def resource_metadata_url(
        self, hub: Hub, request: tornado.httputil.HTTPServerRequest
    ) -> str | None:
        """The protected-resource metadata URL a plugin serves for ``request``, or None."""
        url: str | None = await self._first(
            self.pm.hook.resource_metadata_url, hub=hub, request=request
        )
        return url

    async def startup(self, hub: Hub) -> None:
        await self._each(self.pm.hook.startup, swallow=False, hub=hub)

    async def shutdown(self, hub: Hub) -> None:
        self.observing.tell_now()  # the calls of the last moment reach the observers first
        await self._each(self.pm.hook.shutdown, swallow=True, hub=hub)

    async def before_tool_call(self, hub: Hub, call: ToolCall) -> None:
        await self._each(self.pm.hook.before_tool_call, swallow=False, hub=hub, call=call)

    def has_impl(self, hook_name: str) -> bool:
        """Whether any plugin implements a hook (lets the hot path skip empty middleware);
        remembered until a plugin is registered or unregistered here."""
        return self.observing.has_impl(hook_name)


def _discard(results: list[object]) -> None:
    """Close awaitables that will not be awaited (no "never awaited" warning, no work done)."""
    for result in results:
        if inspect.iscoroutine(result):
            result.close()
        elif isinstance(result, asyncio.Future):
            result.cancel()


def _owner(caller: HookCaller, awaitable: object) -> str:
    """The plugin whose ``async def`` hookimpl made ``awaitable``, for the error log."""
    code = getattr(awaitable, "cr_code", None)
    for impl in caller.get_hookimpls():
        function = inspect.unwrap(getattr(impl.function, "__func__", impl.function))
        if code is not None and getattr(function, "__code__", None) is code:
            return impl.plugin_name
    return getattr(awaitable, "__qualname__", type(awaitable).__name__)
