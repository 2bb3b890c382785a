"""The Hub (state and lifecycle) and the Tornado application built around it."""

from __future__ import annotations

import asyncio
import logging
import secrets
import sys
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from prometheus_client import CollectorRegistry

from hub import __version__, logs
from hub.auth.passwords import MAX_PASSWORD_BYTES, hash_password
from hub.auth.rate_limits import RateLimits
from hub.auth.tokens import shared_jwt_secret
from hub.config.events import Change, ChangeEvent, EventBus, Kind
from hub.config.first_import import import_on_first_start
from hub.config.live import LiveConfig
from hub.config.models import User
from hub.config.replica import Replica
from hub.config.shared import shared_rate_limits
from hub.config.store import Conflict, Store
from hub.errors import StartupError
from hub.mcp.catalog import Catalog
from hub.mcp.endpoint import McpEndpoint
from hub.plugins import Plugins
from hub.registry import Registry
from hub.search.router import SmartRouter
from hub.upstream.manager import UpstreamManager
from hub.upstream.pins import ToolPins

if TYPE_CHECKING:
    import tornado.web

    from hub.auth.identity import Authenticator
    from hub.catalogs.contract import ServerCatalog

log = logging.getLogger(__name__)

_HASH_PENDING = "!pending"
"""The first admin's password hash until bcrypt has made the real one; matches no password."""


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
        self.instance_id = uuid.uuid4().hex
        """This process's identity among hub instances sharing one store; the ``origin`` of
        the change events it publishes."""
        self.bus = EventBus(self.instance_id)
        self._store: Store | None = None
        self._config: LiveConfig | None = None
        self.upstreams = UpstreamManager(self)
        self.tool_pins = ToolPins(self)
        """Approved tool definitions and the tools held back for a changed one."""
        self.jwt_secret = ""
        self.transports: Registry[Any] = Registry("transport")
        self.authenticators: Registry[Authenticator] = Registry("authenticator")
        self.catalogs: Registry[ServerCatalog] = Registry("catalog")
        """Server catalogs from ``register_catalogs`` (market, cloud, registry …), by name."""
        self.generated_admin_password: str | None = None
        self._admin_created: asyncio.Task[None] | None = None
        self.started = False
        self.rate_limits = RateLimits()
        """Per-route rate limiters (login, password changes, templates), by name."""
        self.server_lock = asyncio.Lock()
        """Held around every read-modify-write of server configs, so no edit is lost."""
        self.documents: dict[Any, Any] = {}
        """Generated OpenAPI documents (the API's own, the tool server's), by cache key."""
        self.routes: list[tuple[str, type[tornado.web.RequestHandler], dict[str, Any]]] = []
        """The route table, set when the HTTP application is built (``hub.server``)."""
        self._catalog: Catalog | None = None
        self._mcp: McpEndpoint | None = None
        self._smart: SmartRouter | None = None
        self.metrics = CollectorRegistry()
        """The hub's own Prometheus registry (not the process-global one): plugins register
        their collectors here and the metrics plugin serves it at ``/metrics``."""
        self.replica: Replica | None = None
        """Applies other instances' changes (a shared store); set when the hub starts."""

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
    def catalog(self) -> Catalog:
        """The namespaced, filtered view of every upstream's tools, prompts and resources."""
        if self._catalog is None:
            raise RuntimeError("hub is not started")
        return self._catalog

    @property
    def mcp(self) -> McpEndpoint:
        """The downstream MCP endpoint: sessions, listen streams, change fan-out."""
        if self._mcp is None:
            raise RuntimeError("hub is not started")
        return self._mcp

    @property
    def smart(self) -> SmartRouter:
        """Smart routing: the tool search index, kept in step with the catalog."""
        if self._smart is None:
            raise RuntimeError("hub is not started")
        return self._smart

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
        self._store.origin = self.instance_id
        await self._store.open()
        self.rate_limits.shared = shared_rate_limits(self._store)
        self._config = LiveConfig(self._store, self.bus)
        await self._config.load()

    async def start(self) -> None:
        """Open, import a first settings file, ensure an admin, start upstreams."""
        opts = self.options
        logs.attach()
        await self.open()
        await import_on_first_start(self.config, opts.settings_path)
        await self._ensure_admin()
        self.jwt_secret = await shared_jwt_secret(self.store, opts.data_dir, opts.jwt_secret)
        # From here on the plugin set is fixed: registries are read once, now.
        self.plugins.started = True
        self.transports = self.plugins.transports()
        self.authenticators = self.plugins.authenticators()
        self.catalogs = self.plugins.catalogs()
        self._catalog = Catalog(self)
        self._mcp = McpEndpoint(self)
        self._smart = SmartRouter(self, self.plugins.search_providers())
        self._smart.start()
        await self.plugins.startup(self)
        self.tool_pins.start()
        await self.upstreams.start()
        # Other instances sharing the store: their writes become live here from now on.
        self.replica = Replica(self.config, self.bus)
        await self.replica.start()
        self.started = True

    async def stop(self) -> None:
        self.plugins.started = False
        if self._admin_created is not None:
            await asyncio.gather(self._admin_created, return_exceptions=True)
        if not self.started:
            if self._store is not None:
                await self._store.close()
            return
        self.started = False
        await self.plugins.shutdown(self)
        for name, catalog in self.catalogs.items():
            try:
                await catalog.aclose()
            except Exception:
                log.exception("Catalog %s failed to close", name)
        if self.replica is not None:
            await self.replica.stop()
        if self._mcp is not None:
            self._mcp.close()
        await self.upstreams.stop()
        if self._smart is not None:
            await self._smart.stop()
        await self.tool_pins.stop()
        if self._catalog is not None:
            self._catalog.close()
        await self.store.close()

    async def _ensure_admin(self) -> None:
        """With no user at all, create ``admin``. The user is stored at once, with a hash no
        password matches, and a generated password is printed, all before the hub listens;
        the bcrypt hash (about 0.25 s of CPU, in a thread) is filled in while the hub starts
        listening, and authentication waits for it (``admin_ready``)."""
        if self.config.users:
            admin = self.config.users.get("admin")
            if admin is not None and admin.password == _HASH_PENDING:
                # Made by another instance a moment ago: its hash is on the way.
                self._admin_created = asyncio.create_task(self._admin_hashed_elsewhere())
            return
        password = self.options.admin_password
        generated = not password
        if not password:
            password = secrets.token_urlsafe(18)
        if len(password.encode()) > MAX_PASSWORD_BYTES:
            raise StartupError(f"ADMIN_PASSWORD must be at most {MAX_PASSWORD_BYTES} bytes")
        pending = User(username="admin", password=_HASH_PENDING, is_admin=True)
        try:
            # Atomic in the store: of instances starting together on one empty database,
            # exactly one creates the admin; the others load the one it made.
            await self.config.put_user(pending, create=True)
        except Conflict:
            # Another instance won: take its admin, and wait for its hash as it would.
            await self.config.apply(ChangeEvent(Kind.USERS, "admin", Change.CREATE))
            self._admin_created = asyncio.create_task(self._admin_hashed_elsewhere())
            return
        if generated:
            self.generated_admin_password = password
            # Straight to the console, once; never through logging, whose buffer is served.
            print(
                f"mcphub: created user 'admin' with password: {password}\n"
                "mcphub: change it after the first login; it is not shown again.",
                file=sys.stderr,
                flush=True,
            )
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

    async def _admin_hashed_elsewhere(self, within: float = 30.0) -> None:
        """Until the instance that created the first admin has stored its real hash."""
        settled = asyncio.Event()

        def check(_event: ChangeEvent | None = None) -> None:
            user = self.config.users.get("admin")
            if user is None or user.password != _HASH_PENDING:
                settled.set()

        unsubscribe = self.bus.subscribe(check)
        try:
            check()
            await asyncio.wait_for(settled.wait(), within)
        except TimeoutError:
            log.warning("The first admin's password hash did not arrive from its instance")
        finally:
            unsubscribe()

    @property
    def admin_pending(self) -> bool:
        """Whether the first-start admin's password hash is still being made."""
        return self._admin_created is not None and not self._admin_created.done()

    async def admin_ready(self) -> None:
        """Return once the first-start admin (if any) is settled."""
        if self._admin_created is not None and not self._admin_created.done():
            await asyncio.wait([self._admin_created])
