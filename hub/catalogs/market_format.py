"""MCPHub's market format (``servers.json``): entries, search, categories, tags, and the
install rule that turns an entry's installation plus the user's arguments into a config.

An entry's ``installations`` map a method (``npm``, ``uvx``, ``python``, ``docker``,
``custom``, ``default``) to ``{type, command, args, env}``; ``${VAR}`` placeholders in
them name keys of the entry's ``arguments``. MCPHub's dashboard picks ``npm``, else
``uvx``, else ``default``, else the first method, and so does the install here.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from hub.errors import BadRequest

Entry = dict[str, Any]

PREFERRED = ("npm", "uvx", "default")
REMOTE_TYPES = ("sse", "streamable-http")
_PLACEHOLDER = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_.-]*)\}")


def normalise(catalog: Any) -> list[Entry]:
    """The entries of a ``servers.json`` document (an object keyed by name; a list is
    accepted too), each named after its key, official ones first, then by name."""
    items: Iterable[tuple[str, Any]]
    if isinstance(catalog, dict):
        items = catalog.items()
    elif isinstance(catalog, list):
        items = ((str(e.get("name", "")), e) for e in catalog if isinstance(e, dict))
    else:
        return []
    entries = [{**entry, "name": name} for name, entry in items if isinstance(entry, dict)]
    entries = [e for e in entries if e["name"]]
    return sorted(entries, key=lambda e: (not e.get("is_official"), e["name"]))


def _texts(entry: Entry) -> str:
    parts = [entry.get("name"), entry.get("display_name"), entry.get("description")]
    parts += list(entry.get("categories") or []) + list(entry.get("tags") or [])
    return " ".join(str(p) for p in parts if p).lower()


def search(entries: list[Entry], query: str) -> list[Entry]:
    """Entries where any whitespace-separated term of ``query`` is a substring of the name,
    display name, description, categories or tags (case-insensitive); all for no terms."""
    terms = query.lower().split()
    if not terms:
        return entries
    return [e for e in entries if any(t in _texts(e) for t in terms)]


def labels(entries: list[Entry], field: str) -> list[str]:
    """The sorted union of a list field (``categories``, ``tags``)."""
    return sorted({str(v) for e in entries for v in e.get(field) or [] if v})


def with_label(entries: list[Entry], field: str, value: str) -> list[Entry]:
    """Entries whose list field contains ``value`` exactly."""
    return [e for e in entries if value in (e.get(field) or [])]


def pick_installation(entry: Entry, wanted: str | None) -> tuple[str, dict[str, Any]]:
    """The installation the user asked for, else MCPHub's preference order."""
    installations = entry.get("installations")
    if not isinstance(installations, dict) or not installations:
        raise BadRequest(f"Market server '{entry.get('name')}' has no installation")
    if wanted:
        if wanted not in installations:
            have = ", ".join(sorted(installations))
            raise BadRequest(f"Unknown installation '{wanted}'; this server has: {have}")
        key = wanted
    else:
        key = next((k for k in PREFERRED if k in installations), next(iter(installations)))
    method = installations[key]
    if not isinstance(method, dict):
        raise BadRequest(f"Installation '{key}' is not an object")
    return key, method


def _value_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def substitute(text: str, values: dict[str, Any]) -> str:
    """Every ``${NAME}`` replaced by its value (``""`` when not given): an installed config
    carries no reference to the hub's own environment."""
    return _PLACEHOLDER.sub(lambda m: _value_text(values.get(m.group(1))), text)


def substitute_args(args: list[Any], values: dict[str, Any]) -> list[str]:
    """Arguments with placeholders filled in, one list item per argument (never a shell
    string). An argument that is exactly one placeholder of a list value becomes several
    arguments; one that is exactly an unset placeholder is left out."""
    out: list[str] = []
    for arg in args:
        text = _value_text(arg)
        whole = _PLACEHOLDER.fullmatch(text)
        if whole:
            value = values.get(whole.group(1))
            if isinstance(value, list):
                out.extend(_value_text(v) for v in value)
                continue
            if value is None or value == "":
                continue
        out.append(substitute(text, values))
    return out


def check_required(declared: dict[str, Any], values: dict[str, Any]) -> None:
    """400 naming every required argument without a value."""
    missing = [
        name
        for name, spec in declared.items()
        if isinstance(spec, dict) and spec.get("required") and values.get(name) in (None, "")
    ]
    if missing:
        raise BadRequest(f"Missing required argument(s): {', '.join(sorted(missing))}")


def market_server_config(
    entry: Entry, installation: str | None, arguments: dict[str, Any]
) -> dict[str, Any]:
    """The server config installing ``entry`` with the user's argument values."""
    declared = entry.get("arguments") if isinstance(entry.get("arguments"), dict) else {}
    check_required(declared or {}, arguments)
    _, method = pick_installation(entry, installation)
    config: dict[str, Any] = {}
    if method.get("url"):
        kind = method.get("type")
        config["type"] = kind if kind in REMOTE_TYPES else "streamable-http"
        config["url"] = substitute(str(method["url"]), arguments)
        headers = method.get("headers")
        if isinstance(headers, dict):
            config["headers"] = {
                k: substitute(_value_text(v), arguments) for k, v in headers.items()
            }
    else:
        command = method.get("command")
        if not isinstance(command, str) or not command:
            raise BadRequest("This installation has neither a command nor a url")
        config["type"] = "stdio"
        config["command"] = substitute(command, arguments)
        config["args"] = substitute_args(list(method.get("args") or []), arguments)
        env = method.get("env")
        if isinstance(env, dict):
            filled = {k: substitute(_value_text(v), arguments) for k, v in env.items()}
            config["env"] = {k: v for k, v in filled.items() if v != ""}
    if entry.get("description"):
        config["description"] = str(entry["description"])[:500]
    return config
