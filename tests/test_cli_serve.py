"""``mcphub serve`` as a user runs it: first start, admin password, settings import, SIGTERM."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import httpx2
import pytest

from tests.hubproc import HubProcess

pytestmark = pytest.mark.slow  # each test runs `mcphub serve` as a child process

FIXTURE = Path(__file__).parent / "fixtures" / "mcphub_settings.json"


async def test_serve_with_admin_password(tmp_path: Path) -> None:
    hub = await HubProcess(tmp_path, {"ADMIN_PASSWORD": "Serve-pass-1!"}).start()
    try:
        assert hub.url.startswith("http://127.0.0.1:")
        async with httpx2.AsyncClient(base_url=hub.url) as http:
            assert (await http.get("/health")).json()["status"] == "healthy"
            ok = await http.post(
                "/api/auth/login", json={"username": "admin", "password": "Serve-pass-1!"}
            )
            assert ok.status_code == 200 and ok.json()["user"]["isAdmin"] is True
            bad = await http.post("/api/auth/login", json={"username": "admin", "password": "no"})
            assert bad.status_code == 401
    finally:
        assert await hub.stop(signal.SIGTERM) == 0
    assert (tmp_path / "data" / "mcphub.db").exists()
    assert "Serve-pass-1!" not in hub.stderr


def test_an_unusable_admin_password_stops_the_start_with_one_line(tmp_path: Path) -> None:
    env = {**os.environ, "ADMIN_PASSWORD": "Long-1!" * 12}  # 84 bytes: bcrypt reads 72
    done = subprocess.run(
        [sys.executable, "-m", "hub.cli", "serve", "--port", "0", "--data-dir", str(tmp_path)],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 1
    assert done.stderr.strip() == "mcphub: ADMIN_PASSWORD must be at most 72 bytes"


async def test_generated_admin_password_is_printed_once(tmp_path: Path) -> None:
    env = {"ADMIN_PASSWORD": ""}
    first = await HubProcess(tmp_path, env).start()
    try:
        match = re.search(r"password: (\S+)", first.stderr)
        assert match, first.stderr
        password = match.group(1)
        assert password != "admin123" and len(password) >= 16
        async with httpx2.AsyncClient(base_url=first.url) as http:
            r = await http.post("/api/auth/login", json={"username": "admin", "password": password})
            assert r.status_code == 200
    finally:
        assert await first.stop(signal.SIGINT) == 0
    second = await HubProcess(tmp_path, env).start()
    try:
        assert "password:" not in second.stderr
    finally:
        await second.stop()


async def test_first_start_imports_the_settings_file(tmp_path: Path) -> None:
    shutil.copy(FIXTURE, tmp_path / "mcp_settings.json")
    env = {"MCPHUB_SETTING_PATH": str(tmp_path), "ADMIN_PASSWORD": ""}
    hub = await HubProcess(tmp_path, env).start()
    try:
        # The file had users, so no admin was generated; the MCPHub passwords work.
        assert "password:" not in hub.stderr
        async with httpx2.AsyncClient(base_url=hub.url) as http:
            r = await http.post(
                "/api/auth/login", json={"username": "alice", "password": "Alice-pass-2!"}
            )
            assert r.status_code == 200
            health = (await http.get("/health")).json()
            assert health["servers"]["total"] == 4
    finally:
        await hub.stop()
