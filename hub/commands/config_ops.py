"""``mcphub import`` and ``export`` on a hub opened for the command (not serving): the file
checked as the API checks configs, a backup before anything is replaced, and the
difference an import would make (``--dry-run``)."""

from __future__ import annotations

import difflib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from hub.app import Hub, HubOptions
from hub.commands import CommandError
from hub.config.events import EventBus
from hub.config.live import LiveConfig
from hub.config.memory_store import MemoryStore
from hub.config.models import McpSettings
from hub.config.settings_file import SettingsFileError, dump, read_settings, write_atomic
from hub.errors import BadRequest
from hub.services.servers import check_settings_servers

BACKUPS = "backups"
"""The data dir's folder of configurations saved before an import replaced them."""


@asynccontextmanager
async def opened_hub(options: HubOptions) -> AsyncIterator[Hub]:
    """A hub with its store and live config open and its transports known, not serving."""
    hub = Hub(options)
    await hub.open()
    try:
        hub.transports = hub.plugins.transports()
        yield hub
    finally:
        await hub.stop()


def read_import_file(path: Path) -> McpSettings:
    """The settings to import, or ``CommandError`` with the file's problem in one line."""
    try:
        return read_settings(path)[0]
    except SettingsFileError as exc:
        raise CommandError(str(exc)) from exc


@dataclass
class ImportOutcome:
    """What an import did, or would do."""

    servers: int
    diff: list[str]
    backup: Path | None = None


async def import_settings(
    hub: Hub, settings: McpSettings, source: Path, *, dry_run: bool, backups: Path
) -> ImportOutcome:
    """Replace the hub's configuration with ``settings`` (after a backup), or with
    ``dry_run`` only say how it would change."""
    try:
        check_settings_servers(hub, settings)
    except BadRequest as exc:
        raise CommandError(f"{source}: {exc.message}; nothing was imported") from exc
    before = hub.config.export_settings()
    after = await _preview(settings) if dry_run else None
    if after is not None:
        return ImportOutcome(len(settings.mcp_servers), difference(before, after, source))
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S.%fZ")
    backup = backups / f"mcp_settings-{stamp}.json"
    write_atomic(backup, dump(before))
    await hub.config.import_settings(settings)
    after = hub.config.export_settings()
    return ImportOutcome(len(settings.mcp_servers), difference(before, after, source), backup)


async def _preview(settings: McpSettings) -> dict[str, Any]:
    """The configuration an import of ``settings`` leads to, made in a scratch store."""
    scratch = LiveConfig(MemoryStore(), EventBus())
    await scratch.import_settings(settings)
    return scratch.export_settings()


def difference(before: dict[str, Any], after: dict[str, Any], source: Path) -> list[str]:
    """A unified diff of two configurations as ``mcp_settings.json`` text."""
    return list(
        difflib.unified_diff(
            dump(before).splitlines(),
            dump(after).splitlines(),
            fromfile="current configuration",
            tofile=str(source),
            lineterm="",
        )
    )


def export_text(hub: Hub) -> str:
    return dump(hub.config.export_settings())


def write_export(path: Path, text: str) -> None:
    """Write an export atomically; ``CommandError`` naming the path when it cannot."""
    try:
        write_atomic(path, text)
    except OSError as exc:
        raise CommandError(f"cannot write {path}: {exc.strerror or exc}") from exc
