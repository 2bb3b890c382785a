"""The ``market`` catalog: MCPHub's ``servers.json`` format, shipped or fetched.

Without ``systemConfig.market.url`` the entries are the curated catalog shipped in this
package (``data/market.json``). With it, the URL's document replaces them: fetched on the
first request (never at start), kept for ``refreshSeconds``, then served while a background
fetch renews it, and served stale when the source is down.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from dataclasses import dataclass
from importlib import resources

from hub.plugin_api import (
    Entry,
    Hub,
    HubError,
    Registry,
    ServerCatalog,
    UpstreamError,
    check_url,
    fetch_json,
    hookimpl,
    normalise_market,
)

log = logging.getLogger(__name__)

RETRY_AFTER_FAILURE = 30.0
"""Seconds between background attempts while the source is down (stale data is served)."""


def shipped_entries() -> list[Entry]:
    """The curated catalog in this package."""
    text = resources.files(__package__).joinpath("data/market.json").read_text("utf-8")
    return normalise_market(json.loads(text))


@dataclass
class Fetched:
    url: str
    entries: list[Entry]
    at: float


class MarketCatalog(ServerCatalog):
    """The shipped catalog, or the one at ``systemConfig.market.url``."""

    family = "market"
    title = "Market"

    def __init__(self) -> None:
        self._shipped: list[Entry] | None = None
        self._fetched: Fetched | None = None
        self._failed_at = 0.0
        self._lock = asyncio.Lock()
        self._refresh: asyncio.Task[None] | None = None

    async def entries(self, hub: Hub) -> list[Entry]:
        settings = hub.config.system.market
        if not settings.url:
            if self._shipped is None:
                self._shipped = shipped_entries()
            return self._shipped
        fetched = self._fetched
        if fetched is None or fetched.url != settings.url:
            async with self._lock:
                fetched = self._fetched
                if fetched is None or fetched.url != settings.url:
                    fetched = await self._fetch(hub)
            return fetched.entries
        age = time.monotonic() - fetched.at
        retry_ok = time.monotonic() - self._failed_at >= RETRY_AFTER_FAILURE
        if age >= settings.refresh_seconds and self._refresh is None and retry_ok:
            self._refresh = asyncio.create_task(self._renew(hub))
        return fetched.entries

    async def _fetch(self, hub: Hub) -> Fetched:
        settings = hub.config.system.market
        url = check_url(settings.url, "systemConfig.market.url")
        result = await fetch_json(url, max_bytes=settings.max_bytes)
        if result.status != 200:
            raise UpstreamError(f"The market catalog answered HTTP {result.status}")
        if not isinstance(result.body, dict | list):
            raise UpstreamError("The market catalog is not a servers.json document")
        self._fetched = Fetched(settings.url, normalise_market(result.body), time.monotonic())
        return self._fetched

    async def _renew(self, hub: Hub) -> None:
        try:
            await self._fetch(hub)
        except HubError as exc:
            self._failed_at = time.monotonic()
            log.warning("Market catalog refresh failed, serving the last copy: %s", exc.message)
        except Exception:
            self._failed_at = time.monotonic()
            log.exception("Market catalog refresh failed, serving the last copy")
        finally:
            self._refresh = None

    async def aclose(self) -> None:
        task = self._refresh
        if task is not None:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)


@hookimpl
def register_catalogs(register: Registry[ServerCatalog]) -> None:
    register("market", MarketCatalog())
