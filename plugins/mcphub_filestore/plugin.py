"""Registers the settings-file store as ``file`` and starts its watch with the hub."""

from __future__ import annotations

from pathlib import Path

from hub.plugin_api import Hub, McpSettings, Registry, check_settings_servers, hookimpl
from mcphub_filestore.store import FileStore


def _factory(url: str, data_dir: Path) -> FileStore:
    # The settings file's path (``--settings FILE --store file``); the data dir's
    # mcp_settings.json when none is named.
    return FileStore(Path(url) if url else data_dir / "mcp_settings.json")


@hookimpl
def register_storage(register: Registry[object]) -> None:
    register("file", _factory)


@hookimpl
def startup(hub: Hub) -> None:
    store = hub.store
    if isinstance(store, FileStore):

        def check(settings: McpSettings) -> None:
            check_settings_servers(hub, settings)

        store.watch(apply=hub.config.reload, check=check)


@hookimpl
async def shutdown(hub: Hub) -> None:
    # Before upstreams stop: an edit applied now would start what is being stopped.
    store = hub.store
    if isinstance(store, FileStore):
        await store.stop_watching()
