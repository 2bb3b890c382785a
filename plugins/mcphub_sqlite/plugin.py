"""Registers the SQLite store under the name ``sqlite``."""

from __future__ import annotations

from pathlib import Path

from hub.plugin_api import Registry, hookimpl
from mcphub_sqlite.store import SQLiteStore


def _factory(url: str, data_dir: Path) -> SQLiteStore:
    # ``sqlite:///abs/path.db`` or ``sqlite:relative.db``; empty means the data dir default.
    path = url.removeprefix("sqlite://") if url.startswith("sqlite://") else url
    path = path.removeprefix("sqlite:")
    return SQLiteStore(Path(path) if path else data_dir / "mcphub.db")


@hookimpl
def register_storage(register: Registry[object]) -> None:
    register("sqlite", _factory)
