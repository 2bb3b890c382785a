"""Run ``mcphub`` commands as a user does: a child process (``mcphub``), or ``hub.cli.main``
in this process with the same arguments, directory, environment and stdin (``run_cli``,
much cheaper on a loaded machine); either way the exit code and the output."""

from __future__ import annotations

import contextlib
import io
import json
import os
import subprocess
import sys
import traceback
from pathlib import Path
from typing import Any

from hub.cli import main


def mcphub(
    *args: str, cwd: Path, env: dict[str, str] | None = None, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    """``python -m hub.cli ARGS`` in ``cwd``; it must end within 50 s (a hang is a failure)."""
    return subprocess.run(
        [sys.executable, "-m", "hub.cli", *args],
        cwd=cwd,
        env={**os.environ, "ADMIN_PASSWORD": "", **(env or {})},
        input=stdin,
        capture_output=True,
        text=True,
        timeout=50,
        check=False,
    )


def run_cli(
    *args: str, cwd: Path, env: dict[str, str] | None = None, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    """``hub.cli.main(ARGS)`` in this process, as ``mcphub`` would run it in ``cwd``.

    Not from a running event loop (``main`` runs its own): sync tests, or ``to_thread``.
    """
    changes = {"ADMIN_PASSWORD": "", **(env or {})}
    saved_env = {k: os.environ.get(k) for k in changes}
    saved_cwd, saved_stdin = os.getcwd(), sys.stdin
    out, err = io.StringIO(), io.StringIO()
    try:
        os.environ.update(changes)
        os.chdir(cwd)
        sys.stdin = io.StringIO(stdin or "")
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                code = main(list(args))
            except SystemExit as exc:  # argparse: --help, usage errors
                code = exc.code if isinstance(exc.code, int) else 1
            except Exception:  # noqa: BLE001 (--debug re-raises; print it as Python would)
                traceback.print_exc()
                code = 1
    finally:
        sys.stdin = saved_stdin
        os.chdir(saved_cwd)
        for k, v in saved_env.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    return subprocess.CompletedProcess(list(args), code, out.getvalue(), err.getvalue())


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
