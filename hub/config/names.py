"""Server names: what one may contain (said in words), which names would make namespaced
tool names ambiguous, and how a name is shown where text could be misread.

A server's tools are exposed as ``server{sep}tool``. With ``time`` and ``time-get`` side by
side under ``-``, ``time-get-x`` could be ``time``'s ``get-x`` or ``time-get``'s ``x``, and a
tool override keyed by that name would apply to both; so no server name may be another's
name followed by the separator.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable

MAX_NAME = 200
NAME_RULE = (
    "A server name may contain only letters (a-z, A-Z), digits, '_', '-' and '.', "
    f"must start with a letter or digit, and may be at most {MAX_NAME} characters long"
)
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.\-]*")
_UNPRINTABLE = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def check_server_name(name: str) -> str:
    """``name`` if it follows ``NAME_RULE``; ``ValueError`` with the rule in words otherwise."""
    if not isinstance(name, str) or not 0 < len(name) <= MAX_NAME or not _NAME.fullmatch(name):
        raise ValueError(NAME_RULE)
    return name


def clashes(name: str, sep: str, a: str) -> bool:
    """Whether ``name`` and ``a`` make namespaced names ambiguous under ``sep``."""
    return name != a and (name.startswith(a + sep) or a.startswith(name + sep))


def ambiguous_with(name: str, others: Iterable[str], sep: str) -> str | None:
    """The first of ``others`` that ``name`` clashes with under ``sep``, or None."""
    return next((other for other in others if clashes(name, sep, other)), None)


def ambiguous_pairs(names: Iterable[str], sep: str) -> list[tuple[str, str]]:
    """Every (shorter, longer) pair of ``names`` that clash under ``sep``."""
    ordered = sorted(names)
    # After sorting, a name's extensions (``a`` + sep + …) follow it, so compare forward.
    return [
        (a, b) for i, a in enumerate(ordered) for b in ordered[i + 1 :] if b.startswith(a + sep)
    ]


def ambiguity_message(name: str, other: str, sep: str) -> str:
    short, long = sorted((name, other), key=len)
    return (
        f"Server name '{shown(name)}' is ambiguous next to '{shown(other)}': with the name "
        f"separator '{sep}', '{shown(long)}{sep}x' could be a tool of either; "
        f"choose a name that does not start with '{shown(short)}{sep}'"
    )


def shown(name: str) -> str:
    """A name as it may be written into logs and HTML-ish text: markup escaped, control
    characters as ``\\n`` or ``\\xNN`` (names stored before the rule may hold anything)."""
    escaped = html.escape(name, quote=True)
    return _UNPRINTABLE.sub(lambda m: repr(m.group())[1:-1], escaped)
