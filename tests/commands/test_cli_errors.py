"""Every command fails with one ``mcphub: …`` line and exit code 1, never a traceback
(unless ``--debug``); ``--help`` shows defaults; ``import`` validates as the API does."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.commands.cli_helpers import mcphub, one_line_error, remote, run_cli, write_settings

pytestmark = pytest.mark.slow  # each test runs `mcphub` child processes


def test_import_of_a_missing_file(tmp_path: Path) -> None:
    line = one_line_error(mcphub("import", "nope.json", cwd=tmp_path))
    assert "nope.json" in line and "no such file" in line.lower()
    assert not (tmp_path / "data").exists()


def test_import_of_a_file_that_is_not_json(tmp_path: Path) -> None:
    (tmp_path / "bad.json").write_text('{"mcpServers": {')
    line = one_line_error(run_cli("import", "bad.json", cwd=tmp_path))
    assert "bad.json" in line and "not valid JSON" in line and "line 1" in line


def test_import_refuses_server_configs_the_api_refuses(tmp_path: Path) -> None:
    write_settings(tmp_path / "s.json", {"fine": remote(9), "broken": {"type": "stdio"}})
    line = one_line_error(run_cli("import", "s.json", cwd=tmp_path))
    assert "broken" in line and "command" in line
    write_settings(tmp_path / "s.json", {"a/b": remote(9)})
    line = one_line_error(run_cli("import", "s.json", cwd=tmp_path))
    assert "a/b" in line
    # Nothing was imported.
    done = run_cli("export", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["mcpServers"] == {}


def test_export_to_an_unwritable_path(tmp_path: Path) -> None:
    write_settings(tmp_path / "s.json", {"one": remote(9)})
    assert run_cli("import", "s.json", cwd=tmp_path).returncode == 0
    (tmp_path / "afile").write_text("")
    line = one_line_error(run_cli("export", "afile/out.json", cwd=tmp_path))
    assert "afile/out.json" in line


def test_export_from_a_missing_data_dir_creates_nothing(tmp_path: Path) -> None:
    line = one_line_error(run_cli("export", "--data-dir", "dtaa", cwd=tmp_path))
    assert "dtaa" in line and "no data" in line.lower()
    assert not (tmp_path / "dtaa").exists()


def test_debug_shows_the_traceback(tmp_path: Path) -> None:
    done = run_cli("--debug", "import", "nope.json", cwd=tmp_path)
    assert done.returncode == 1
    assert "Traceback" in done.stderr


def test_help_shows_defaults_and_texts(tmp_path: Path) -> None:
    done = run_cli("serve", "--help", cwd=tmp_path)
    assert done.returncode == 0
    text = " ".join(done.stdout.split())
    assert "(default: 127.0.0.1)" in text and "(default: 3000)" in text
    assert "--log-level" in text and "(default: INFO)" in text
    for command in (["import"], ["export"], ["admin", "reset-password"]):
        done = run_cli(*command, "--help", cwd=tmp_path)
        assert done.returncode == 0, (command, done.stderr)
        assert "(default: data)" in " ".join(done.stdout.split()), command


def test_a_weak_admin_password_is_refused_by_the_password_policy(tmp_path: Path) -> None:
    done = run_cli("serve", "--port", "0", cwd=tmp_path, env={"ADMIN_PASSWORD": "admin123"})
    line = one_line_error(done)
    assert "ADMIN_PASSWORD" in line and "special character" in line
    assert "password:" not in done.stderr
