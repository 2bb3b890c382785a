"""The Hub (state and lifecycle) and the Tornado application built around it."""

from __future__ import annotations

import asyncio
import importlib
import json
import logging
import os
import secrets
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import tornado.httputil
import tornado.web

from hub import __version__, logs
from hub.auth import MAX_PASSWORD_BYTES, Policy, Principal, hash_password, load_jwt_secret
from hub.config import LiveConfig
from hub.errors import StartupError
from hub.events import EventBus
from hub.plugins import Plugins, Registry
from hub.settings import McpSettings, User
from hub.store import Store
from hub.upstreams import UpstreamManager

log = logging.getLogger(__name__)

_HASH_PENDING = "!pending"
"""The first admin's password hash until bcrypt has made the real one; matches no password."""

HANDLER_MODULES = (
    "hub.api.health",
    "hub.api.auth",
    "hub.api.servers",
    "hub.api.items",
    "hub.api.settings",
    "hub.api.logs",
    "hub.api.docs",
    "hub.api.users",
    "hub.api.keys",
    "hub.api.groups",
    "hub.api.templates",
    "hub.api.plugins",
    "hub.api.openapi_out",
    "hub.api.builtins",
    "hub.mcp.routes",
)
"""Core route tables, each module ending in ``default_handlers``; the fallback 404 is last."""

ROOT_ROUTES = ("/health", "/oauth/", "/.well-known/")
"""Routes MCPHub serves at the root even when ``BASE_PATH`` is set."""


@dataclass
class HubOptions:
    """How to run a hub; the CLI fills it from flags and environment."""

    data_dir: Path = field(default_factory=lambda: Path("data"))
    host: str = "127.0.0.1"
    port: int = 3000
    base_path: str = ""
    settings_path: Path | None = None
    admin_password: str | None = None
    jwt_secret: str | None = None
    store: str = "sqlite"
    store_url: str = ""
    plugins_dir: Path | None = None


class Hub:
    """Everything a running hub holds. Handlers reach it as ``self.hub``."""

    def __init__(self, options: HubOptions, plugins: Plugins | None = None) -> None:
        self.options = options
        self.version = __version__
        self.plugins = plugins or Plugins(options.plugins_dir)
        self.bus = EventBus()
        self._store: Store | None = None
        self._config: LiveConfig | None = None
        self.upstreams = UpstreamManager(self)
        self.jwt_secret = ""
        self.transports: Registry[Any] = Registry("transport")
        self.authenticators: Registry[Any] = Registry("authenticator")
        self.generated_admin_password: str | None = None
        self._admin_created: asyncio.Task[None] | None = None
        self.started = False

    @property
    def store(self) -> Store:
        if self._store is None:
            raise RuntimeError("hub is not started")
        return self._store

    @property
    def config(self) -> LiveConfig:
        if self._config is None:
            raise RuntimeError("hub is not started")
        return self._config

    @property
    def base_path(self) -> str:
        return self.options.base_path.rstrip("/")

    # ------------------------------------------------------------------ lifecycle

    async def open(self) -> None:
        """Load plugins and open the store and the live config (enough for import/export)."""
        opts = self.options
        self.plugins.load()
        storage = self.plugins.storage()
        factory = storage.get(opts.store)
        if factory is None:
            raise StartupError(f"no storage backend {opts.store!r}; have {sorted(storage)}")
        self._store = factory(opts.store_url, opts.data_dir)
        await self._store.open()
        self._config = LiveConfig(self._store, self.bus)
        await self._config.load()

    async def start(self) -> None:
        """Open, import a first settings file, ensure an admin, start upstreams."""
        opts = self.options
        logs.attach()
        await self.open()
        await self._first_start_import()
        await self._ensure_admin()
        self.jwt_secret = load_jwt_secret(opts.data_dir, opts.jwt_secret)
        self.transports = self.plugins.transports()
        self.authenticators = self.plugins.authenticators()
        await self.plugins.startup(self)
        await self.upstreams.start()
        self.started = True

    async def stop(self) -> None:
        if self._admin_created is not None:
            await asyncio.gather(self._admin_created, return_exceptions=True)
        if not self.started:
            if self._store is not None:
                await self._store.close()
            return
        self.started = False
        await self.plugins.shutdown(self)
        await self.upstreams.stop()
        await self.store.close()

    async def _first_start_import(self) -> None:
        path = self.options.settings_path
        cfg = self.config
        if path is None or cfg.users or cfg.servers or cfg.groups:
            return
        if not path.exists():
            log.info("No settings file at %s; starting empty", path)
            return
        settings = McpSettings.model_validate(json.loads(path.read_text()))
        await cfg.import_settings(settings)
        log.info("Imported %s (%d servers)", path, len(cfg.servers))

    async def _ensure_admin(self) -> None:
        """With no user at all, create ``admin``. The user is stored at once, with a hash no
        password matches, and a generated password is printed, all before the hub listens;
        the bcrypt hash (about 0.25 s of CPU, in a thread) is filled in while the hub starts
        listening, and authentication waits for it (``admin_ready``)."""
        if self.config.users:
            return
        password = self.options.admin_password
        if not password:
            password = secrets.token_urlsafe(18)
            self.generated_admin_password = password
            # Straight to the console, once; never through logging, whose buffer is served.
            print(
                f"mcphub: created user 'admin' with password: {password}\n"
                "mcphub: change it after the first login; it is not shown again.",
                file=sys.stderr,
                flush=True,
            )
        if len(password.encode()) > MAX_PASSWORD_BYTES:
            raise StartupError(f"ADMIN_PASSWORD must be at most {MAX_PASSWORD_BYTES} bytes")
        pending = User(username="admin", password=_HASH_PENDING, is_admin=True)
        await self.config.put_user(pending, create=True)
        self._admin_created = asyncio.create_task(self._hash_admin_password(password))

    async def _hash_admin_password(self, password: str) -> None:
        hashed = await hash_password(password)
        user = self.config.users.get("admin")
        if user is None or user.password != _HASH_PENDING:
            return  # replaced meanwhile (an import through the API): that one stands
        try:
            await self.config.put_user(user.model_copy(update={"password": hashed}))
        except Exception:
            log.exception("Could not store the first admin's password")

    async def admin_ready(self) -> None:
        """Return once the first-start admin (if any) is settled."""
        if self._admin_created is not None and not self._admin_created.done():
            await asyncio.wait([self._admin_created])

    # ------------------------------------------------------------------ auth

    async def authenticate(self, request: tornado.httputil.HTTPServerRequest) -> Principal | None:
        """Ask each authenticator in turn, then the ``principal_from_request`` hook."""
        if self._admin_created is not None and not self._admin_created.done():
            await self.admin_ready()  # the first admin may be a token's subject
        for authenticator in self.authenticators.values():
            principal = await authenticator.authenticate(self, request)
            if principal is not None:
                return principal  # type: ignore[no-any-return]
        return await self.plugins.principal_from_request(self, request)


# ---------------------------------------------------------------------- application


def _module_routes(name: str) -> list[Any]:
    return list(importlib.import_module(name).default_handlers)


def collect_routes(hub: Hub) -> list[tuple[str, type[tornado.web.RequestHandler], dict[str, Any]]]:
    """Core and plugin routes, prefixed with BASE_PATH where MCPHub prefixes them."""
    raw: list[tuple[str, Any, dict[str, Any]]] = []
    for module in HANDLER_MODULES:
        for route in _module_routes(module):
            pattern, handler, *rest = route
            raw.append((pattern, handler, rest[0] if rest else {}))
    raw.extend(hub.plugins.routes(hub))
    from hub.api.base import NotFoundHandler

    raw.append((r"/api/.*", NotFoundHandler, {}))
    routes = []
    for pattern, handler, kwargs in raw:
        if not isinstance(getattr(handler, "policy", None), Policy | dict):
            raise TypeError(f"route {pattern} ({handler.__name__}) declares no policy")
        at_root = pattern.startswith(ROOT_ROUTES)
        prefixed = pattern if at_root else hub.base_path + pattern
        routes.append((prefixed, handler, {"hub": hub, **kwargs}))
    return routes


def make_app(hub: Hub) -> tornado.web.Application:
    from hub.api.base import NotFoundHandler

    return tornado.web.Application(
        collect_routes(hub),
        default_handler_class=NotFoundHandler,
        default_handler_args={"hub": hub},
        compress_response=False,
        xheaders=os.environ.get("TRUST_PROXY", "").lower() == "true",
        log_function=_log_request,
    )


access_log = logging.getLogger("hub.access")


def _log_request(handler: tornado.web.RequestHandler) -> None:
    status = handler.get_status()
    level = logging.INFO if status < 400 else logging.WARNING if status < 500 else logging.ERROR
    if access_log.isEnabledFor(level):
        request = handler.request
        # The path only: query strings may carry ?token=.
        access_log.log(
            level,
            "%d %s %s %.1fms",
            status,
            request.method,
            request.path,
            1000.0 * request.request_time(),
        )
