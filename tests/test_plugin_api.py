"""Plugins import the hub's public API only: ``hub.plugin_api``, ``hub.testing``,
``hub.activity_calls`` and ``from hub import hookimpl``. Every ``.py`` under ``plugins/`` and ``contrib/`` is read
(build output aside), so a new reach into the core fails here."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import hub
from hub import plugin_api

ROOT = Path(__file__).resolve().parent.parent
PUBLIC_MODULES = ("hub.plugin_api", "hub.testing", "hub.activity_calls")


def plugin_sources() -> list[Path]:
    files = []
    for top in ("plugins", "contrib"):
        for path in sorted((ROOT / top).rglob("*.py")):
            if "build" not in path.relative_to(ROOT).parts:
                files.append(path)
    return files


def violations(path: Path) -> list[str]:
    """Every import of ``hub`` in the file that is not the public API."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == "hub" and alias.name not in PUBLIC_MODULES:
                    found.append(f"line {node.lineno}: import {alias.name}")
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            module = node.module
            if module.split(".")[0] != "hub" or module in PUBLIC_MODULES:
                continue
            names = [a.name for a in node.names]
            if module == "hub" and names == ["hookimpl"]:
                continue
            found.append(f"line {node.lineno}: from {module} import {', '.join(names)}")
    return found


def params() -> list[object]:
    out = []
    for path in plugin_sources():
        out.append(pytest.param(path, id=path.relative_to(ROOT).as_posix()))
    return out


def test_the_walk_finds_the_plugins() -> None:
    names = {p.relative_to(ROOT).as_posix() for p in plugin_sources()}
    assert "plugins/mcphub_sqlite/store.py" in names
    assert "contrib/mcphub-hello/mcphub_hello/__init__.py" in names


@pytest.mark.parametrize("path", params())
def test_plugins_import_only_the_public_api(path: Path) -> None:
    assert violations(path) == []


def test_the_checker_catches_reaches_into_the_core(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text(
        "import hub.app\n"
        "from hub.plugins import Registry\n"
        "from hub import hookspecs\n"
        "from hub import hookimpl\n"
        "from hub.plugin_api import Store\n"
        "import hub.testing\n"
        "from .local import thing\n"
    )
    assert violations(bad) == [
        "line 1: import hub.app",
        "line 2: from hub.plugins import Registry",
        "line 3: from hub import hookspecs",
    ]


def test_the_public_api_names_what_the_hooks_hand_out() -> None:
    for name in (
        "Hub",
        "Principal",
        "Policy",
        "Action",
        "Resource",
        "Authenticator",
        "ToolCall",
        "Registry",
        "Store",
        "TransactionView",
        "DocumentOps",
        "ActivityLog",
        "activity_row",
        "activity_summary",
        "ChangeEvent",
        "Transport",
        "Target",
        "APIHandler",
        "HubError",
        "Forbidden",
        "hookimpl",
    ):
        assert name in plugin_api.__all__ and hasattr(plugin_api, name), name
    # ``hub`` itself stays light: it is imported before every hub module.
    assert sorted(hub.__all__) == ["__version__", "hookimpl"]
    init = ast.parse((ROOT / "hub" / "__init__.py").read_text())
    imported = [n.module for n in ast.walk(init) if isinstance(n, ast.ImportFrom)]
    assert imported == ["hub.hookspecs"]
