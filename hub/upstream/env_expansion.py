"""``${VAR}`` / ``$VAR`` expansion of config values at the moment they are used.

MCPHub expands every string of a server config from the whole process environment, which
hands the hub's own signing key to anyone who may write a header. Here expansion draws only
from names the admin allows, never from the hub's secrets, and not at all for configs that
a normal user owns.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping
from typing import Any

_PATTERN = re.compile(r"\$\{([^}]+)\}|\$([A-Z_][A-Z0-9_]*)")

HUB_SECRETS = frozenset(
    {
        "JWT_SECRET",
        "ADMIN_PASSWORD",
        "DB_URL",
        "DATABASE_URL",
        "MCPHUB_DATABASE_URL",
        "MCPHUB_STORE_URL",
        "PGPASSWORD",
        "REDIS_URL",
    }
)
"""Variables that configure the hub itself; never expandable into an upstream config."""


def is_hub_secret(name: str) -> bool:
    """Whether a variable belongs to the hub (its secrets, or anything ``MCPHUB_*``)."""
    return name in HUB_SECRETS or name.startswith("MCPHUB_")


def allow_list_policy(patterns: list[str]) -> Callable[[str], bool]:
    """A predicate for names matching ``patterns`` (exact, or a prefix ending in ``*``)."""
    exact = {p for p in patterns if not p.endswith("*")}
    prefixes = tuple(p[:-1] for p in patterns if p.endswith("*"))

    def allowed(name: str) -> bool:
        return not is_hub_secret(name) and (name in exact or name.startswith(prefixes))

    return allowed


def deny_all(name: str) -> bool:
    """The policy for configs owned by normal users: nothing from the hub's environment."""
    return False


def expand(
    value: Any,
    allowed: Callable[[str], bool],
    environ: Mapping[str, str] | None = None,
) -> Any:
    """Expand strings inside ``value`` (recursing into lists and dicts).

    A variable that is unset or not allowed becomes ``""`` and the result is trimmed, as
    MCPHub does, so a config behaves the same whether a value is missing or withheld.
    """
    env = os.environ if environ is None else environ
    if isinstance(value, str):
        if "$" not in value:
            return value

        def repl(match: re.Match[str]) -> str:
            name = match.group(1) or match.group(2)
            return env.get(name, "") if allowed(name) else ""

        return _PATTERN.sub(repl, value).strip()
    if isinstance(value, list):
        return [expand(v, allowed, env) for v in value]
    if isinstance(value, dict):
        return {k: expand(v, allowed, env) for k, v in value.items()}
    return value
