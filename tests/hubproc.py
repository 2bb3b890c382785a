"""Run ``mcphub serve`` as a real child process on a free port (CLI and plugin tests)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import signal
import sys
from pathlib import Path


class HubProcess:
    """A ``python -m hub.cli serve --port 0`` child; ``url`` is known once it listens."""

    def __init__(self, cwd: Path, env: dict[str, str] | None = None, *args: str) -> None:
        self.cwd = cwd
        self.env = {**os.environ, **(env or {})}
        self.args = args
        self.proc: asyncio.subprocess.Process | None = None
        self.url = ""
        self.stderr_lines: list[str] = []

    async def start(self) -> HubProcess:
        self.proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "hub.cli",
            "serve",
            "--port",
            "0",
            *self.args,
            cwd=self.cwd,
            env=self.env,
            stderr=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.DEVNULL,
        )
        assert self.proc.stderr is not None
        async with asyncio.timeout(30):
            while True:
                line = (await self.proc.stderr.readline()).decode()
                if not line:
                    raise RuntimeError("hub exited:\n" + "".join(self.stderr_lines))
                self.stderr_lines.append(line)
                match = re.search(r"listening on (http://\S+)", line)
                if match:
                    self.url = match.group(1)
                    break
        asyncio.get_running_loop().create_task(self._drain())
        return self

    async def _drain(self) -> None:
        assert self.proc is not None and self.proc.stderr is not None
        while line := await self.proc.stderr.readline():
            self.stderr_lines.append(line.decode())

    @property
    def stderr(self) -> str:
        return "".join(self.stderr_lines)

    async def stop(self, sig: int = signal.SIGTERM) -> int:
        assert self.proc is not None
        if self.proc.returncode is None:
            # Not ``self.proc.send_signal``: ``Popen.send_signal`` polls first, which reaps a
            # child that has just died behind asyncio's child watcher, whose ``wait`` then
            # reports 255 ("Unknown child process pid") instead of the real status. A signal
            # to an unreaped (zombie) child is harmless.
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.proc.pid, sig)
        async with asyncio.timeout(15):
            return await self.proc.wait()
