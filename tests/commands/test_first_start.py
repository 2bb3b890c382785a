"""First start: the admin is created only once the port is bound; a busy port ends the
process with one line; ``mcphub admin reset-password`` gives access back."""

from __future__ import annotations

import asyncio
import json
import re
import secrets
import socket
from pathlib import Path

import bcrypt
import httpx2
import pytest

from tests.commands.cli_helpers import mcphub, one_line_error, run_cli, write_settings
from tests.hubproc import HubProcess

pytestmark = pytest.mark.slow  # `mcphub serve` child processes


def test_a_busy_port_exits_with_one_line_and_creates_no_admin(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        done = mcphub("serve", "--port", str(port), cwd=tmp_path)
    line = one_line_error(done)
    assert f"127.0.0.1:{port}" in line and "in use" in line
    assert "password" not in done.stderr


def test_the_password_of_a_failed_start_is_not_lost(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        assert mcphub("serve", "--port", str(port), cwd=tmp_path).returncode == 1
    # No admin was made, so the next start is a first start again and prints a password.
    done = run_cli("export", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["users"] == []


async def test_serve_says_where_everything_is(tmp_path: Path) -> None:
    hub = await HubProcess(tmp_path, {"ADMIN_PASSWORD": "Serve-says-1!"}).start()
    try:
        await _wait_for_text(hub, "data:")
        text = hub.stderr
        assert f"dashboard: {hub.url}/" in text
        assert f"MCP endpoint: {hub.url}/mcp" in text
        assert "log in as 'admin'" in text
        assert f"data: {tmp_path / 'data'}" in text
    finally:
        await hub.stop()


async def _wait_for_text(hub: HubProcess, text: str) -> None:
    from hub.testing import wait_for

    await wait_for(lambda: text in hub.stderr, within=10)


def _lost_admin(tmp_path: Path) -> None:
    """A data dir whose only user is an admin with a password nobody knows."""
    lost = bcrypt.hashpw(secrets.token_bytes(16), bcrypt.gensalt(4)).decode()
    users = [{"username": "admin", "password": lost, "isAdmin": True}]
    write_settings(tmp_path / "lost.json", {}, users=users)
    assert run_cli("import", "lost.json", cwd=tmp_path).returncode == 0


async def test_reset_password_recovers_access(tmp_path: Path) -> None:
    await asyncio.to_thread(_lost_admin, tmp_path)
    done = await asyncio.to_thread(run_cli, "admin", "reset-password", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    match = re.search(r"new password for 'admin': (\S+)", done.stderr)
    assert match, done.stderr
    hub = await HubProcess(tmp_path, {"ADMIN_PASSWORD": ""}).start()
    try:
        async with httpx2.AsyncClient(base_url=hub.url) as http:
            login = {"username": "admin", "password": match.group(1)}
            assert (await http.post("/api/auth/login", json=login)).status_code == 200
    finally:
        await hub.stop()


def test_reset_password_from_stdin_follows_the_password_policy(tmp_path: Path) -> None:
    _lost_admin(tmp_path)
    weak = run_cli("admin", "reset-password", "admin", "--password-stdin", cwd=tmp_path, stdin="x")
    assert "special character" in one_line_error(weak)
    unknown = run_cli("admin", "reset-password", "bob", cwd=tmp_path)
    assert "bob" in one_line_error(unknown)
    chosen = "Chosen-pass-9!"
    done = run_cli(
        "admin", "reset-password", "admin", "--password-stdin", cwd=tmp_path, stdin=chosen + "\n"
    )
    assert done.returncode == 0, done.stderr
    assert chosen not in done.stderr + done.stdout
    (admin,) = json.loads(run_cli("export", cwd=tmp_path).stdout)["users"]
    assert bcrypt.checkpw(chosen.encode(), admin["password"].encode())
    assert admin["tokenVersion"] == 1  # logins made with the old password end


def test_reset_password_needs_an_existing_data_dir(tmp_path: Path) -> None:
    line = one_line_error(run_cli("admin", "reset-password", "--data-dir", "dat", cwd=tmp_path))
    assert "dat" in line
    assert not (tmp_path / "dat").exists()


async def test_reset_password_through_the_running_hub(tmp_path: Path) -> None:
    await asyncio.to_thread(_lost_admin, tmp_path)
    hub = await HubProcess(tmp_path, {"ADMIN_PASSWORD": ""}).start()
    try:
        done = await asyncio.to_thread(run_cli, "admin", "reset-password", cwd=tmp_path)
        assert done.returncode == 0, done.stderr
        match = re.search(
            r"new password for 'admin' through the running hub at (\S+): (\S+)", done.stderr
        )
        assert match, done.stderr
        assert match.group(1) == hub.url
        async with httpx2.AsyncClient(base_url=hub.url) as http:
            login = {"username": "admin", "password": match.group(2)}
            assert (await http.post("/api/auth/login", json=login)).status_code == 200
        weak = await asyncio.to_thread(
            run_cli, "admin", "reset-password", "--password-stdin", cwd=tmp_path, stdin="weak"
        )
        assert "special character" in one_line_error(weak)
        unknown = await asyncio.to_thread(
            run_cli, "admin", "reset-password", "nobody", cwd=tmp_path
        )
        assert "nobody" in one_line_error(unknown)
    finally:
        await hub.stop()
