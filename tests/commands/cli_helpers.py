"""Run ``mcphub`` commands as a user does: a child process, its exit code and its output."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any


def mcphub(
    *args: str, cwd: Path, env: dict[str, str] | None = None, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    """``python -m hub.cli ARGS`` in ``cwd``; it must end within 30 s (a hang is a failure)."""
    return subprocess.run(
        [sys.executable, "-m", "hub.cli", *args],
        cwd=cwd,
        env={**os.environ, "ADMIN_PASSWORD": "", **(env or {})},
        input=stdin,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )


def one_line_error(done: subprocess.CompletedProcess[str]) -> str:
    """The single ``mcphub: …`` line a failed command printed (asserting it is one line)."""
    assert done.returncode == 1, (done.returncode, done.stdout, done.stderr)
    assert "Traceback" not in done.stderr, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("mcphub: "), lines[0]
    return lines[0]


def write_settings(path: Path, servers: dict[str, Any], **extra: Any) -> Path:
    path.write_text(json.dumps({"mcpServers": servers, **extra}, indent=2))
    return path


def remote(port: int) -> dict[str, Any]:
    """A streamable-HTTP server config pointing at a closed loopback port."""
    return {"type": "streamable-http", "url": f"http://127.0.0.1:{port}/mcp"}
