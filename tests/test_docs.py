"""The plugin guide documents every hook with its exact signature and every test-kit fixture."""

from __future__ import annotations

import ast
import inspect
from pathlib import Path

from hub import hookspecs, testing

GUIDE = Path(__file__).parent.parent / "docs" / "plugins.md"


def test_every_hook_is_documented_with_its_signature() -> None:
    text = GUIDE.read_text()
    hooks = [
        (name, fn)
        for name, fn in inspect.getmembers(hookspecs, inspect.isfunction)
        if hasattr(fn, "mcphub_spec")
    ]
    assert len(hooks) >= 10
    for name, fn in hooks:
        params = ", ".join(inspect.signature(fn).parameters)
        assert f"### `{name}({params})`" in text, name
        assert fn.__doc__ and "return" in fn.__doc__.lower(), f"{name}: say what to return"


def test_every_test_kit_fixture_is_documented() -> None:
    """Each ``hub.testing`` fixture has a row in the guide's "Testing plugins" section."""
    source = Path(testing.__file__).read_text()
    fixtures = [
        node.name
        for node in ast.parse(source).body
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        and any("fixture" in ast.unparse(d) for d in node.decorator_list)
    ]
    assert {"hub_settings", "hub_server", "mcp_session"} <= set(fixtures)
    section = GUIDE.read_text().split("## Testing plugins", 1)[1]
    for name in fixtures:
        assert f"| `{name}`" in section, name
