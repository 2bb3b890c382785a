"""A store whose source of truth is one ``mcp_settings.json``, as MCPHub keeps it.

API changes are written back into the file atomically (temp file, fsync, rename), so a
kill -9 at any moment leaves the old file or the new one. A watch (a stat poll, no extra
dependency) applies edits made outside the hub within a fraction of a second; an edit that
is not valid JSON, or that the API would refuse, is reported and changes nothing, and API
writes are refused until the file is fixed, so the hub never overwrites the operator's edit.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import Awaitable, Callable
from pathlib import Path

from hub.plugin_api import (
    HubError,
    McpSettings,
    MemoryStore,
    SettingsFileError,
    Snapshot,
    StoreError,
    dump,
    fingerprint,
    parse_settings,
    settings_snapshot,
    snapshot_document,
    write_atomic,
)

log = logging.getLogger("hub.filestore")

POLL_SECONDS = 0.2
"""How often the watch looks at the file: an edit is live well within 2 s."""

Signature = tuple[int, int, int]


def _signature(path: Path) -> Signature | None:
    try:
        st = path.stat()
    except FileNotFoundError:
        return None
    return (st.st_mtime_ns, st.st_size, st.st_ino)


def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None


class FileStore(MemoryStore):
    """The collections in memory, the file on disk, kept equal in both directions."""

    name = "file"

    def __init__(self, path: Path) -> None:
        super().__init__()
        self.path = path
        self.source_file = path
        self.known: str | None = None
        """Fingerprint of the file as the hub last read or wrote it."""
        self.invalid: str | None = None
        """Why the file's current content was refused, while it is."""
        self._rejected: str | None = None
        self._watch: asyncio.Task[None] | None = None

    # ------------------------------------------------------------------ open, close

    async def open(self) -> None:
        text = await asyncio.to_thread(_read, self.path)
        if text is None:
            log.info("Settings file %s does not exist yet; starting empty", self.path)
            return
        try:
            settings = parse_settings(text, str(self.path))
        except SettingsFileError as exc:
            raise StoreError(str(exc)) from exc
        self.data = settings_snapshot(settings)
        self.known = fingerprint(text)

    def _remove_stale_temp_files(self) -> None:
        """Temp files of writes a killed hub never renamed. Only a serving hub (the data
        dir's lock holder) removes them: a command reading the file meanwhile must not
        remove the temp file of a write in flight."""
        for stale in self.path.parent.glob(f".{self.path.name}.*.tmp"):
            stale.unlink(missing_ok=True)

    async def close(self) -> None:
        await self.stop_watching()

    async def stop_watching(self) -> None:
        """End the watch (idempotent)."""
        if self._watch is not None:
            self._watch.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._watch
            self._watch = None

    # ------------------------------------------------------------------ writes

    async def commit(self, data: Snapshot) -> None:
        """Write ``data`` into the file, then make it current; refused (409) while the file
        holds an edit the hub has not applied, so that edit is never overwritten."""
        if self.invalid is not None:
            raise HubError(
                f"The settings file {self.path} holds an edit that is not valid "
                f"({self.invalid}); fix or revert it, then retry",
                status=409,
            )
        on_disk = await asyncio.to_thread(_read, self.path)
        if on_disk is not None and fingerprint(on_disk) != self.known:
            raise HubError(
                f"The settings file {self.path} was just edited outside the hub; "
                "the edit is being applied, retry the change",
                status=409,
            )
        text = dump(snapshot_document(data))
        await asyncio.to_thread(write_atomic, self.path, text)
        self.known = fingerprint(text)
        self.data = data

    # ------------------------------------------------------------------ the watch

    def watch(
        self,
        apply: Callable[[], Awaitable[None]],
        check: Callable[[McpSettings], None],
    ) -> None:
        """Apply outside edits from now on: ``check`` refuses a settings document as the API
        would (raising), ``apply`` makes the hub serve the store's new content."""
        if self._watch is None:
            self._remove_stale_temp_files()
            self._watch = asyncio.create_task(self._run(apply, check), name="settings-watch")

    async def _run(
        self, apply: Callable[[], Awaitable[None]], check: Callable[[McpSettings], None]
    ) -> None:
        seen = await asyncio.to_thread(_signature, self.path)
        while True:
            await asyncio.sleep(POLL_SECONDS)
            now = await asyncio.to_thread(_signature, self.path)
            if now == seen:
                continue
            seen = now
            try:
                if await self._take_edit(check):
                    await apply()
            except Exception:
                log.exception("Could not apply the edit of %s", self.path)

    async def _take_edit(self, check: Callable[[McpSettings], None]) -> bool:
        """Read the file; True when it held a valid edit, now the store's content."""
        async with self.lock:
            text = await asyncio.to_thread(_read, self.path)
            if text is None:
                log.warning(
                    "Settings file %s was removed; the hub keeps its configuration and writes "
                    "the file again on the next change",
                    self.path,
                )
                self.known, self.invalid = None, None
                return False
            digest = fingerprint(text)
            if digest in (self.known, self._rejected):
                return False
            try:
                settings = parse_settings(text, str(self.path))
                check(settings)
            except (SettingsFileError, HubError) as exc:
                self.invalid = exc.message if isinstance(exc, HubError) else str(exc)
                self._rejected = digest
                log.error(
                    "Settings file edit not applied: %s. The hub keeps the last good "
                    "configuration and refuses API changes until the file is fixed",
                    self.invalid,
                )
                return False
            data = settings_snapshot(settings)
            for name, doc in data["servers"].items():
                old = self.data.get("servers", {}).get(name)
                if old is not None:
                    doc["createdAt"] = old.get("createdAt", doc["createdAt"])
            self.data, self.known, self.invalid = data, digest, None
        log.info(
            "Applied the edit of %s (%d servers, pid %d)",
            self.path,
            len(data["servers"]),
            os.getpid(),
        )
        return True
