"""``mcphub import`` (and every CLI write) against a data dir a running hub uses: refused with
a message naming the process; a backup first; ``--dry-run`` shows the difference."""

from __future__ import annotations

import asyncio
import json
import signal
from pathlib import Path

import httpx2
import pytest

from tests.commands.cli_helpers import mcphub, one_line_error, remote, run_cli, write_settings
from tests.hubproc import HubProcess

pytestmark = pytest.mark.slow  # `mcphub serve` and `mcphub import` child processes

PASSWORD = "Import-pass-1!"


async def test_import_while_a_hub_runs_is_refused_naming_it(tmp_path: Path) -> None:
    write_settings(tmp_path / "big.json", {f"s{i}": remote(9) for i in range(5)})
    write_settings(tmp_path / "small.json", {"x": remote(9)})
    assert (await asyncio.to_thread(run_cli, "import", "big.json", cwd=tmp_path)).returncode == 0
    hub = await HubProcess(tmp_path, {"ADMIN_PASSWORD": PASSWORD}).start()
    try:
        assert hub.proc is not None
        line = one_line_error(mcphub("import", "small.json", cwd=tmp_path))
        assert f"pid {hub.proc.pid}" in line and hub.url in line
        line = one_line_error(
            await asyncio.to_thread(run_cli, "import", "--dry-run", "small.json", cwd=tmp_path)
        )
        assert f"pid {hub.proc.pid}" in line
        async with httpx2.AsyncClient(base_url=hub.url) as http:
            assert (await http.get("/health")).json()["servers"]["total"] == 5
    finally:
        assert await hub.stop(signal.SIGTERM) == 0
    # Stopped: the lock is free again and the import goes through.
    assert (await asyncio.to_thread(run_cli, "import", "small.json", cwd=tmp_path)).returncode == 0


def test_import_backs_up_and_dry_run_shows_the_difference(tmp_path: Path) -> None:
    write_settings(tmp_path / "a.json", {"alpha": remote(9), "beta": remote(9)})
    write_settings(tmp_path / "b.json", {"alpha": remote(9), "gamma": remote(8)})
    assert run_cli("import", "a.json", cwd=tmp_path).returncode == 0

    dry = run_cli("import", "--dry-run", "b.json", cwd=tmp_path)
    assert dry.returncode == 0, dry.stderr
    assert '-    "beta": {' in dry.stdout and '+    "gamma": {' in dry.stdout
    assert "alpha" not in [line[1:].strip() for line in dry.stdout.splitlines() if line[:1] in "+-"]
    exported = json.loads(run_cli("export", cwd=tmp_path).stdout)
    assert set(exported["mcpServers"]) == {"alpha", "beta"}  # a dry run changes nothing

    done = run_cli("import", "b.json", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    backups = sorted((tmp_path / "data" / "backups").glob("mcp_settings-*.json"))
    assert len(backups) == 2  # before each of the two imports
    assert set(json.loads(backups[-1].read_text())["mcpServers"]) == {"alpha", "beta"}
    assert str(backups[-1].relative_to(tmp_path)) in done.stderr
    exported = json.loads(run_cli("export", cwd=tmp_path).stdout)
    assert set(exported["mcpServers"]) == {"alpha", "gamma"}
