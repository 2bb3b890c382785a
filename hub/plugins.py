"""The plugin manager and the typed facade through which the core calls hooks.

Plugins (built-in ones included) are found through the ``mcphub`` entry-point group, loaded
once, and validated with ``check_pending`` so a misspelled hookimpl fails at start. Nothing
outside this module touches ``pm.hook``.
"""

from __future__ import annotations

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
from hub.registry import Registry

if TYPE_CHECKING:
    import tornado.httputil

    from hub.app import Hub
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

    # -- loading ---------------------------------------------------------------------

    def load(self) -> Plugins:
        """Load entry-point plugins (and ``--plugins-dir`` files) once; later calls do nothing."""
        if self._loaded:
            return self
        self._loaded = True
        blocked = set(_split_env("MCPHUB_DISABLE_PLUGINS") or []) - {ESSENTIAL}
        allowed = _split_env("MCPHUB_LOAD_PLUGINS")
        from hub import defaults

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
        """Register an in-process plugin object (tests, embedding applications)."""
        registered = self.pm.register(plugin, name=name)
        if registered is None:
            raise ValueError(f"plugin {name!r} is blocked")
        self.pm.check_pending()
        return registered

    def unregister(self, name: str) -> None:
        self.pm.unregister(name=name)

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

    def _registry(self, kind: str, hook: Any) -> Registry[Any]:
        registry: Registry[Any] = Registry(kind)
        # Walk in pluggy's call order (tryfirst first, then last registered first).
        for impl in reversed(hook.get_hookimpls()):
            impl.function(register=registry)
        return registry

    def transports(self) -> Registry[Any]:
        return self._registry("transport", self.pm.hook.register_transports)

    def storage(self) -> Registry[Any]:
        return self._registry("storage backend", self.pm.hook.register_storage)

    def authenticators(self) -> Registry[Any]:
        return self._registry("authenticator", self.pm.hook.register_authenticators)

    def catalogs(self) -> Registry[Any]:
        return self._registry("catalog", self.pm.hook.register_catalogs)

    def search_indexes(self) -> Registry[Any]:
        return self._registry("search index", self.pm.hook.register_search_index)

    def routes(self, hub: Hub) -> list[tuple[str, Any, dict[str, Any]]]:
        out: list[tuple[str, Any, dict[str, Any]]] = []
        for routes in self.pm.hook.register_routes(hub=hub):
            out.extend(routes or [])
        return out

    # -- calls -----------------------------------------------------------------------

    async def _call_all(self, hook: Any, swallow: bool, **kwargs: Any) -> None:
        for impl in reversed(hook.get_hookimpls()):
            try:
                result = impl.function(**{k: kwargs[k] for k in impl.argnames})
                if inspect.isawaitable(result):
                    await result
            except Exception:
                if not swallow:
                    raise
                log.exception("Plugin %s failed in %s", impl.plugin_name, hook.name)

    async def principal_from_request(
        self, hub: Hub, request: tornado.httputil.HTTPServerRequest
    ) -> Principal | None:
        """First non-None principal, awaiting each hookimpl in turn (pluggy's firstresult
        would stop at the first coroutine object even when it resolves to None)."""
        impls = self.pm.hook.principal_from_request.get_hookimpls()
        for impl in reversed(impls):
            result = impl.function(
                **{k: {"hub": hub, "request": request}[k] for k in impl.argnames}
            )
            if inspect.isawaitable(result):
                result = await result
            if result is not None:
                return result  # type: ignore[no-any-return]
        return None

    async def startup(self, hub: Hub) -> None:
        await self._call_all(self.pm.hook.startup, swallow=False, hub=hub)

    async def shutdown(self, hub: Hub) -> None:
        await self._call_all(self.pm.hook.shutdown, swallow=True, hub=hub)

    async def before_tool_call(self, hub: Hub, call: ToolCall) -> None:
        await self._call_all(self.pm.hook.before_tool_call, swallow=False, hub=hub, call=call)

    async def after_tool_call(
        self,
        hub: Hub,
        call: ToolCall,
        result: dict[str, Any] | None,
        error: BaseException | None,
    ) -> None:
        await self._call_all(
            self.pm.hook.after_tool_call,
            swallow=True,
            hub=hub,
            call=call,
            result=result,
            error=error,
        )

    def has_impl(self, hook_name: str) -> bool:
        """Whether any plugin implements a hook (lets the hot path skip empty middleware)."""
        return bool(getattr(self.pm.hook, hook_name).get_hookimpls())
