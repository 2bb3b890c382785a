"""The layout rules of the core, checked on the source: no import circle, small modules, a
short top level.

Imports are read from the syntax tree: module-level imports and imports inside functions
(a lazy import still ties two modules together), but not those under ``if TYPE_CHECKING:``,
which never run. ``importlib.import_module`` with a literal name counts too.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HUB = ROOT / "hub"
MAX_LINES = 400
MAX_TOP_LEVEL = 11
"""Modules directly under ``hub/`` (``__init__`` included): the rest lives in subpackages."""


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def runtime_imports(path: Path) -> set[str]:
    """Every module name ``path`` may import when it runs (candidates; unknown ones drop)."""
    found: set[str] = set()

    def visit(node: ast.AST) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and _is_type_checking(child.test):
                for other in child.orelse:
                    visit(other)
                continue
            if isinstance(child, ast.ImportFrom) and child.module and child.level == 0:
                found.add(child.module)
                found.update(f"{child.module}.{alias.name}" for alias in child.names)
            elif isinstance(child, ast.Import):
                found.update(alias.name for alias in child.names)
            elif (
                isinstance(child, ast.Call)
                and isinstance(child.func, ast.Attribute)
                and child.func.attr == "import_module"
                and child.args
                and isinstance(child.args[0], ast.Constant)
                and isinstance(child.args[0].value, str)
            ):
                found.add(child.args[0].value)
            visit(child)

    visit(ast.parse(path.read_text(), str(path)))
    return found


def import_graph() -> dict[str, set[str]]:
    modules = {module_name(p): p for p in HUB.rglob("*.py")}
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        edges = {m for m in runtime_imports(path) if m in modules and m != name}
        # Importing ``a.b.c`` runs ``a/__init__`` and ``a/b/__init__`` first.
        for target in list(edges):
            parts = target.split(".")
            edges.update(".".join(parts[:i]) for i in range(1, len(parts)))
        edges.discard(name)
        graph[name] = {e for e in edges if e in modules and not name.startswith(e + ".")}
    return graph


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def strong(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                strong(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            strong(v)
    return found


def test_no_import_circle_in_the_core() -> None:
    graph = import_graph()
    assert len(graph) > 50, "the graph walker found too few modules"
    found = circles(graph)
    detail = [
        f"{' <-> '.join(c)}: " + "; ".join(f"{a} -> {b}" for a in c for b in graph[a] if b in c)
        for c in found
    ]
    assert not found, "import circles:\n" + "\n".join(detail)


def test_the_circle_finder_sees_a_lazy_import_circle(tmp_path: Path) -> None:
    a = tmp_path / "a.py"
    a.write_text("def f():\n    import b\n")
    b = tmp_path / "b.py"
    b.write_text("from typing import TYPE_CHECKING\nimport a\nif TYPE_CHECKING:\n    import c\n")
    assert runtime_imports(a) == {"b"} and runtime_imports(b) == {
        "typing",
        "typing.TYPE_CHECKING",
        "a",
    }
    assert circles({"a": {"b"}, "b": {"a"}, "c": set()}) == [["a", "b"]]


def test_modules_stay_small() -> None:
    sources = [*HUB.rglob("*.py"), *(ROOT / "plugins").rglob("*.py")]
    big = {
        str(p.relative_to(ROOT)): n
        for p in sources
        if (n := len(p.read_text().splitlines())) > MAX_LINES
    }
    assert not big, f"modules over {MAX_LINES} lines: {big}"


def test_the_top_level_is_short() -> None:
    top = sorted(p.name for p in HUB.glob("*.py"))
    assert len(top) <= MAX_TOP_LEVEL, f"{len(top)} modules directly under hub/: {top}"


def test_the_core_imports_no_plugin() -> None:
    plugin_packages = {p.name for p in (ROOT / "plugins").iterdir() if p.is_dir()}
    offenders = {
        module_name(path): sorted(
            m for m in runtime_imports(path) if m.split(".")[0] in plugin_packages
        )
        for path in HUB.rglob("*.py")
    }
    assert not {k: v for k, v in offenders.items() if v}
