"""The plugin guide documents every hook with its exact signature."""

from __future__ import annotations

import inspect
from pathlib import Path

from hub import hookspecs

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
