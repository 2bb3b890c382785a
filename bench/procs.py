"""Child processes the scenarios measure: the bench upstream and real ``mcphub serve`` hubs.

Every child is started here and stopped here by its own pid. The hub's stderr goes to a
file, not a pipe, so reading its log costs the load generator nothing.
"""

from __future__ import annotations

import asyncio
import compileall
import json
import os
import re
import shutil
import signal
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def compile_hub(root: Path = ROOT) -> None:
    """Write the hub's bytecode, as ``pip install`` of a wheel does.

    An editable install leaves ``hub/`` and ``plugins/`` uncompiled, and with
    ``PYTHONDONTWRITEBYTECODE`` set every hub start would compile them again (0.15 s here),
    which no installed hub pays.
    """
    for folder in ("hub", "plugins"):
        compileall.compile_dir(root / folder, quiet=1, force=False)


def hub_python(root: Path) -> str:
    """The interpreter of the checkout at ``root``: its own ``.venv`` if it has one."""
    venv = root / ".venv" / "bin" / "python"
    return str(venv) if root != ROOT and venv.exists() else sys.executable


CLK_TCK = os.sysconf("SC_CLK_TCK")


class NotAvailable(Exception):
    """A part the scenario needs has not landed yet (or is switched off)."""


def rss_kb(pid: int) -> int:
    """Resident set size from /proc, in KiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def cpu_seconds(pid: int) -> float:
    """utime + stime of one process (not its children)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


async def _stop(proc: asyncio.subprocess.Process, sig: int = signal.SIGTERM) -> None:
    if proc.returncode is not None:
        return
    proc.send_signal(sig)
    try:
        async with asyncio.timeout(10):
            await proc.wait()
    except TimeoutError:
        proc.kill()
        await proc.wait()


class ListeningProcess:
    """A child that prints ``LISTENING <port>`` once it serves: its pid, port and stop."""

    def __init__(self) -> None:
        self.proc: asyncio.subprocess.Process | None = None
        self.port = 0

    async def listening(self, what: str, within: float) -> None:
        """Read the child's first line for its port; stop it and raise if it said otherwise
        (or nothing within ``within`` seconds)."""
        assert self.proc is not None and self.proc.stdout is not None
        try:
            async with asyncio.timeout(within):
                line = (await self.proc.stdout.readline()).decode()
        except BaseException:
            await self.stop()
            raise
        if not line.startswith("LISTENING"):
            await self.stop()
            raise RuntimeError(f"{what} did not start: {line!r}")
        self.port = int(line.split()[1])

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    async def stop(self) -> None:
        if self.proc is not None:
            await _stop(self.proc)


class Upstream(ListeningProcess):
    """``python -m bench.upstream`` over HTTP; ``url(i)`` is virtual server i."""

    def __init__(self, servers: int = 1, tools: int = 2, sse: bool = False) -> None:
        super().__init__()
        self.args = ["--servers", str(servers), "--tools", str(tools)] + (["--sse"] if sse else [])

    async def start(self) -> Upstream:
        self.proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bench.upstream",
            "--port",
            "0",
            *self.args,
            cwd=ROOT,
            stdout=asyncio.subprocess.PIPE,
        )
        await self.listening("bench upstream", 15)
        return self

    def url(self, index: int | None = None) -> str:
        path = "/mcp" if index is None else f"/mcp/s{index}"
        return f"http://127.0.0.1:{self.port}{path}"


def stdio_server(tools: int = 2) -> dict[str, Any]:
    """A server config running the bench upstream over stdio."""
    return {
        "type": "stdio",
        "command": sys.executable,
        "args": ["-m", "bench.upstream", "--transport", "stdio", "--tools", str(tools)],
        "cwd": str(ROOT),
        "env": {"PYTHONPATH": str(ROOT)},
    }


def http_server(url: str) -> dict[str, Any]:
    return {"type": "streamable-http", "url": url}


class Hub:
    """A real ``python -m hub.cli serve --port 0`` with its own data dir and settings."""

    def __init__(
        self,
        servers: dict[str, dict[str, Any]],
        log_level: str | None = "WARNING",
        root: Path | None = None,
        env: dict[str, str] | None = None,
        settings: dict[str, Any] | None = None,
    ) -> None:
        self.root = root or ROOT
        self.extra_env = env or {}
        """The checkout the hub runs from: this one, or another commit's (``bench.compare``)."""
        self.dir = Path(tempfile.mkdtemp(prefix="mcphub-bench-"))
        self.servers = servers
        self.log_level = log_level
        """``None``: the hub's own default (INFO, an access line per request)."""
        self.settings = settings
        """The rest of ``mcp_settings.json``; by default bearer auth off and no session cap."""
        self.proc: asyncio.subprocess.Process | None = None
        self.url = ""
        self.spawned = 0.0
        self.listening = 0.0
        self.log_path = self.dir / "hub.log"

    async def start(self) -> Hub:
        settings = {
            "mcpServers": self.servers,
            **(
                self.settings
                if self.settings is not None
                else {
                    "systemConfig": {
                        "routing": {"enableBearerAuth": False},
                        # S5 opens thousands of sessions from one address: lift the cap.
                        "sessions": {"maxPerPrincipal": 1_000_000, "maxTotal": 1_000_000},
                    }
                }
            ),
        }
        (self.dir / "mcp_settings.json").write_text(json.dumps(settings))
        env = {
            **os.environ,
            "MCPHUB_SETTING_PATH": str(self.dir / "mcp_settings.json"),
            "ADMIN_PASSWORD": "bench-admin-password-1",
            "MCPHUB_LOAD_PLUGINS": "",
            **({"LOG_LEVEL": self.log_level} if self.log_level else {}),
            **self.extra_env,
        }
        if not self.log_level and "LOG_LEVEL" not in self.extra_env:
            env.pop("LOG_LEVEL", None)
        with self.log_path.open("wb") as log:
            self.spawned = time.monotonic()
            self.proc = await asyncio.create_subprocess_exec(
                hub_python(self.root),
                "-m",
                "hub.cli",
                "serve",
                "--port",
                "0",
                "--data-dir",
                str(self.dir / "data"),
                cwd=self.root,
                env=env,
                stdout=asyncio.subprocess.DEVNULL,
                stderr=log,
            )
        try:
            async with asyncio.timeout(60):
                while True:
                    text = self.log_path.read_text(errors="replace")
                    match = re.search(r"listening on (http://\S+)", text)
                    if match:
                        self.listening = time.monotonic()
                        self.url = match.group(1).rstrip("/")
                        return self
                    if self.proc.returncode is not None:
                        raise RuntimeError(f"hub exited:\n{self.log_tail()}")
                    await asyncio.sleep(0.005)
        except TimeoutError as exc:
            tail = self.log_tail()
            await self.stop()
            raise RuntimeError(f"hub did not listen within 60 s:\n{tail}") from exc
        except BaseException:
            await self.stop()
            raise

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def rss_kb(self) -> int:
        return rss_kb(self.pid)

    def cpu(self) -> float:
        return cpu_seconds(self.pid)

    def log_tail(self, chars: int = 1500) -> str:
        return self.log_path.read_text(errors="replace")[-chars:]

    async def stop(self) -> None:
        if self.proc is not None:
            await _stop(self.proc)
        shutil.rmtree(self.dir, ignore_errors=True)
