"""Registers the PostgreSQL store under the names ``postgresql`` and ``postgres``."""

from __future__ import annotations

from pathlib import Path

from hub.plugin_api import Registry, Store, StoreError, hookimpl


def _factory(url: str, data_dir: Path) -> Store:
    if not url.startswith(("postgresql://", "postgres://")):
        raise StoreError("the postgresql store needs a URL: postgresql://user@host:port/db")
    # Imported here, so the hub starts without asyncpg when PostgreSQL is not used.
    from mcphub_postgres.connect import ConnectOptions
    from mcphub_postgres.store import PostgresStore

    return PostgresStore(ConnectOptions.from_url(url))


@hookimpl
def register_storage(register: Registry[object]) -> None:
    register("postgresql", _factory)
    register("postgres", _factory)
