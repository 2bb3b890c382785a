"""``mcphub migrate --from sqlite:DIR --to postgresql://…``: copy one store into another."""

from __future__ import annotations

from pathlib import Path

from hub.config.migrate import copy_store, store_location
from hub.config.store import Store, StoreError
from hub.errors import StartupError
from hub.plugins import Plugins


def _exists(path: str) -> bool:
    return Path(path).exists()


async def migrate(source: str, target: str, plugins_dir: Path | None) -> dict[str, int]:
    """Copy everything (hashes, the JWT secret, activities) from ``source`` into ``target``;
    the counts per collection. Errors are ``StartupError`` with one line to print."""
    storage = Plugins(plugins_dir).load().storage()
    stores: list[Store] = []
    try:
        for spec in (source, target):
            backend, url = store_location(spec)
            if spec is source and backend == "sqlite" and not _exists(url[7:]):
                raise StartupError(f"no SQLite database at {url[7:]}")
            if backend not in storage:
                raise StartupError(f"no storage backend {backend!r}; have {sorted(storage)}")
            store = storage[backend](url, Path("."))
            await store.open()
            stores.append(store)
        counts: dict[str, int] = await copy_store(stores[0], stores[1])
        return counts
    except StoreError as exc:
        raise StartupError(str(exc)) from exc
    finally:
        for store in stores:
            await store.close()
