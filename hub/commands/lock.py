"""One process at a time writes a data dir: ``mcphub serve`` holds its lock while it runs,
and the CLI's writes (import, admin reset-password) take it or refuse, naming the holder.

The lock is an ``flock`` on ``<data dir>/mcphub.lock``, so it is released by the kernel when
its process dies, even by kill -9; the file's text (JSON) names the holder for messages.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import time
from pathlib import Path
from typing import Any, Self

from hub.commands import CommandError

LOCK_NAME = "mcphub.lock"


class LockHeld(CommandError):
    """The data dir is in use; ``holder`` says by which process (``pid``, ``command``,
    ``url`` once a hub listens)."""

    def __init__(self, message: str, holder: dict[str, Any]) -> None:
        super().__init__(message)
        self.holder = holder


class DataDirLock:
    """The lock of one data dir, taken by this process (``acquire``) until ``release``."""

    def __init__(self, data_dir: Path) -> None:
        self.path = data_dir / LOCK_NAME
        self._fd: int | None = None
        self.info: dict[str, Any] = {}

    def acquire(self, command: str, **info: Any) -> None:
        """Take the lock for ``command``; ``LockHeld`` naming the holder when taken."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _read(fd)
            os.close(fd)
            raise LockHeld(describe(holder, self.path.parent), holder) from None
        self._fd = fd
        self.info = {"pid": os.getpid(), "command": command, "since": time.time(), **info}
        self._write()

    def update(self, **info: Any) -> None:
        """Add facts about the holder (the URL once the hub listens)."""
        self.info.update(info)
        self._write()

    def _write(self) -> None:
        assert self._fd is not None
        data = json.dumps(self.info).encode()
        os.ftruncate(self._fd, 0)
        os.pwrite(self._fd, data, 0)

    def release(self) -> None:
        if self._fd is None:
            return
        with contextlib.suppress(OSError):
            os.ftruncate(self._fd, 0)
        os.close(self._fd)  # closing drops the flock
        self._fd = None

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


def _read(fd: int) -> dict[str, Any]:
    try:
        raw = os.pread(fd, 4096, 0)
        data = json.loads(raw) if raw else {}
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def describe(holder: dict[str, Any], data_dir: Path) -> str:
    """One line naming the process that holds ``data_dir`` and what to do about it."""
    pid = holder.get("pid", "?")
    if holder.get("command") == "serve":
        url = holder.get("url")
        at = f" at {url}" if url else ""
        return (
            f"the hub (pid {pid}){at} is running on data dir {data_dir}; stop it first, "
            "or make the change through its API"
        )
    what = holder.get("command") or "another mcphub command"
    return f"data dir {data_dir} is in use by `mcphub {what}` (pid {pid}); try again when it ends"
