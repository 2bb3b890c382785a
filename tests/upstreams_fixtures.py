"""Helpers for the upstream-connection tests: real upstream processes, the process table.

HTTP upstreams are started by the tests (module scope where possible); stdio upstreams are
started by the hub itself, so their processes are found through /proc.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hub.app import Hub
from hub.config.events import ChangeEvent, Kind
from hub.testing import wait_for
from hub.upstream.state import Status

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
TINY = str(ROOT / "bench" / "tiny_stdio.py")


def everything_args(name: str, *extra: str) -> list[str]:
    return ["-m", "tests.upstreams.everything", "--name", name, *extra]


@dataclass
class HttpUpstream:
    """A test upstream child serving sse or streamable HTTP on 127.0.0.1."""

    proc: subprocess.Popen[bytes]
    port: int
    transport: str
    events: Path

    @property
    def url(self) -> str:
        path = "/sse" if self.transport == "sse" else "/mcp"
        return f"http://127.0.0.1:{self.port}{path}"

    def events_seen(self) -> list[str]:
        return self.events.read_text().splitlines() if self.events.exists() else []

    def saw(self, prefix: str, since: int = 0) -> bool:
        """Whether an event starting with ``prefix`` was recorded after the first ``since``."""
        return any(line.startswith(prefix) for line in self.events_seen()[since:])

    def stop(self) -> None:
        stop_process(self.proc)


def spawn_listening(
    argv: list[str], env: dict[str, str] | None = None
) -> tuple[subprocess.Popen[bytes], int]:
    """Start a test server from the repository root and wait for its ``LISTENING <port>``."""
    proc = subprocess.Popen(
        argv,
        cwd=ROOT,
        env={**os.environ, **(env or {})},
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline().decode()
    if not line.startswith("LISTENING"):
        proc.kill()
        proc.wait(10)
        raise RuntimeError(f"{argv} did not start: {line!r}")
    return proc, int(line.split()[1])


def stop_process(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.kill()
    proc.wait(10)
    if proc.stdout is not None:
        proc.stdout.close()


def start_http(
    module: str, transport: str, events: Path, *args: str, port: int = 0
) -> HttpUpstream:
    """Start ``python -m module`` serving ``transport`` on 127.0.0.1."""
    proc, bound = spawn_listening(
        [PY, "-m", module, "--transport", transport, "--port", str(port), *args],
        {"UPSTREAM_EVENTS_FILE": str(events)},
    )
    return HttpUpstream(proc, bound, transport, events)


async def wait_status(hub: Hub, name: str, status: Status, within: float = 20) -> float:
    """Seconds until the upstream reaches ``status``; the failure names the last error."""
    try:
        return await wait_for(lambda: hub.upstreams.state(name).status is status, within)
    except AssertionError:
        state = hub.upstreams.state(name)
        raise AssertionError(f"{name} is {state.status} ({state.error}), not {status}") from None


# ---------------------------------------------------------------------- process table


@dataclass
class Proc:
    pid: int
    ppid: int
    pgid: int
    state: str
    cmdline: str


def processes() -> list[Proc]:
    """Every process on the machine that is not a zombie (a zombie is already dead)."""
    out = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as fh:
                fields = fh.read().rsplit(b")", 1)[1].split()
            with open(f"/proc/{entry}/cmdline", "rb") as fh:
                cmdline = fh.read().replace(b"\0", b" ").decode(errors="replace").strip()
        except OSError:
            continue
        state = fields[0].decode()
        if state == "Z":
            continue
        out.append(Proc(int(entry), int(fields[1]), int(fields[2]), state, cmdline))
    return out


def alive(pid: int) -> bool:
    return any(p.pid == pid for p in processes())


def with_marker(marker: str) -> list[Proc]:
    """Live processes whose command line contains ``marker`` (a unique server name)."""
    return [p for p in processes() if marker in p.cmdline and p.pid != os.getpid()]


def child_pid(marker: str) -> int:
    """The hub's direct child for a stdio upstream started with ``marker`` in its args."""
    found = [p for p in with_marker(marker) if p.ppid == os.getpid()]
    assert len(found) == 1, found
    return found[0].pid


@dataclass
class FakeDownstream:
    """A downstream caller as the MCP endpoint provides it (``hub.upstream.calls.Downstream``)."""

    headers: Mapping[str, str] = field(default_factory=dict)
    answers: dict[str, dict[str, Any]] = field(default_factory=dict)
    progress_seen: list[float] = field(default_factory=list)
    requests: list[tuple[str, dict[str, Any] | None]] = field(default_factory=list)

    async def progress(
        self, progress: float, total: float | None = None, message: str | None = None
    ) -> None:
        self.progress_seen.append(progress)

    async def request(self, method: str, params: dict[str, Any] | None) -> dict[str, Any]:
        self.requests.append((method, params))
        return self.answers[method]


def event_dict(event: ChangeEvent) -> dict[str, Any]:
    """An event as the small dict the tests compare with: the kind, the record under ``id``
    (groups, keys, built-ins) or ``name``, and the details."""
    out: dict[str, Any] = {"kind": str(event.kind)}
    if event.record is not None:
        by_id = event.kind in (Kind.GROUPS, Kind.KEYS, Kind.BUILTINS)
        out["id" if by_id else "name"] = event.record
    return {**out, **event.detail}


def conformance_stdio(events: Path, *flags: str, **extra: Any) -> dict[str, Any]:
    """The conformance fixture (``tests/upstreams/conformance_server.py``) as a stdio server
    config, recording its events in ``events``; ``flags`` go to the fixture, ``extra`` into the
    config (``protocolEra`` …)."""
    return {
        "type": "stdio",
        "command": PY,
        "args": ["-m", "tests.upstreams.conformance_server", *flags],
        "cwd": str(ROOT),
        "env": {"UPSTREAM_EVENTS_FILE": str(events)},
        **extra,
    }


def logged_events(tmp_path: Path, name: str) -> list[str]:
    """The events ``conformance_stdio`` recorded for server ``name`` (its log under tmp_path)."""
    path = tmp_path / f"{name}.log"
    return path.read_text().splitlines() if path.exists() else []
