"""The settings file named at start (``--settings``): imported into an empty store, and
reported, never silently skipped, when the store already holds a configuration."""

from __future__ import annotations

import logging
from pathlib import Path

from hub.config.live import LiveConfig
from hub.config.models import McpSettings
from hub.config.settings_file import SettingsFileError, fingerprint, read_settings
from hub.errors import StartupError

log = logging.getLogger("hub")

MARKER = "settingsFile"
"""Key, in the ``system`` collection, of the record of the file a first start imported."""


def _read(path: Path) -> tuple[McpSettings, str] | None:
    if not path.exists():
        return None
    return read_settings(path)


async def import_on_first_start(live: LiveConfig, path: Path | None) -> None:
    """Import ``path`` when the store is empty; otherwise say whether it changed since."""
    store = live.store
    if path is None or store.source_file is not None:
        return  # a settings-file store reads the file itself
    try:
        found = _read(path)
        if found is None:
            log.info("No settings file at %s; starting empty", path)
            return
        settings, text = found
    except SettingsFileError as exc:
        if live.users or live.servers or live.groups:
            log.warning("Settings file not applied: %s", exc)
            return
        raise StartupError(str(exc)) from exc
    digest = fingerprint(text)
    if live.users or live.servers or live.groups:
        marker = await store.get("system", MARKER)
        if marker is None:
            log.warning(
                "Settings file %s was not applied: the store already holds a configuration "
                "(the file is imported only into an empty store). Run `mcphub import %s` to "
                "replace it, or start with `--store file` to keep the file as the source of truth",
                path,
                path,
            )
        elif marker.get("sha256") != digest:
            log.warning(
                "Settings file %s changed since it was imported at first start and was not "
                "applied: the hub serves what its store holds. Run `mcphub import %s` to "
                "replace the configuration, or start with `--store file` to keep the file as "
                "the source of truth",
                path,
                path,
            )
        else:
            log.info("Settings file %s is the one imported on the first start", path)
        return
    if not await live.import_settings(settings, seed=True):
        return  # another instance sharing the store seeded it first (and recorded the file)
    await store.put("system", MARKER, {"path": str(path), "sha256": digest})
    log.info("Imported %s (%d servers)", path, len(live.servers))
