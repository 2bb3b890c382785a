"""MCPB ``manifest.json`` (0.3): validation, platform overrides, ``user_config`` values and
the substitution of ``${__dirname}`` and ``${user_config.KEY}`` into ``mcp_config``.

Required: ``manifest_version``, ``name``, ``version``, ``description``, ``author.name`` and
``server`` with ``type`` (node, python, binary, uv), ``entry_point`` and ``mcp_config``.
A ``multiple`` value used as a whole argument becomes several arguments.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

from hub.errors import BadRequest

SERVER_TYPES = ("node", "python", "binary", "uv")
NAME = re.compile(r"^[A-Za-z0-9._-]+$")
_VAR = re.compile(r"\$\{([^}]+)\}")
PLATFORM = {"linux": "linux", "darwin": "darwin", "win32": "win32"}.get(sys.platform, "linux")
MAX_MANIFEST = 1024 * 1024


def _invalid(message: str) -> BadRequest:
    return BadRequest(f"Invalid manifest: {message}")


def parse(raw: bytes) -> dict[str, Any]:
    if len(raw) > MAX_MANIFEST:
        raise _invalid("manifest.json is larger than 1 MiB")
    try:
        manifest = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise _invalid(f"manifest.json is not JSON ({exc})") from None
    if not isinstance(manifest, dict):
        raise _invalid("manifest.json must be an object")
    return validate(manifest)


def validate(manifest: dict[str, Any]) -> dict[str, Any]:
    """The manifest if its required fields are there; 400 naming the first missing one."""
    version = manifest.get("manifest_version") or manifest.get("dxt_version")
    if not version:
        raise _invalid("missing manifest_version")
    for field in ("name", "version", "description"):
        if not isinstance(manifest.get(field), str) or not manifest[field].strip():
            raise _invalid(f"missing {field}")
    name = manifest["name"]
    if not NAME.match(name) or ".." in name:
        raise _invalid("name may hold only letters, digits, '.', '_' and '-'")
    author = manifest.get("author")
    if not isinstance(author, dict) or not author.get("name"):
        raise _invalid("missing author.name")
    server = manifest.get("server")
    if not isinstance(server, dict):
        raise _invalid("missing server")
    if server.get("type") not in SERVER_TYPES:
        raise _invalid(f"server.type must be one of {', '.join(SERVER_TYPES)}")
    if not isinstance(server.get("entry_point"), str) or not server["entry_point"]:
        raise _invalid("missing server.entry_point")
    config = server.get("mcp_config")
    if not isinstance(config, dict):
        raise _invalid("missing server.mcp_config")
    if "args" in config and not isinstance(config["args"], list):
        raise _invalid("server.mcp_config.args must be an array")
    if "env" in config and not isinstance(config["env"], dict):
        raise _invalid("server.mcp_config.env must be an object")
    user_config = manifest.get("user_config", {})
    if not isinstance(user_config, dict) or not all(
        isinstance(v, dict) for v in user_config.values()
    ):
        raise _invalid("user_config must map names to objects")
    return manifest


def mcp_config(manifest: dict[str, Any], platform: str = PLATFORM) -> dict[str, Any]:
    """``server.mcp_config`` with the overrides for ``platform`` applied (env merged)."""
    server = manifest["server"]
    base = dict(server["mcp_config"])
    overrides = base.pop("platform_overrides", None) or {}
    override = overrides.get(platform) if isinstance(overrides, dict) else None
    if isinstance(override, dict):
        env = {**(base.get("env") or {}), **(override.get("env") or {})}
        base.update({k: v for k, v in override.items() if k != "env"})
        if env:
            base["env"] = env
    if not base.get("command"):
        entry = f"${{__dirname}}/{server['entry_point']}"
        command, args = {
            "node": ("node", [entry]),
            "python": ("python3", [entry]),
            "uv": ("uv", ["run", "--directory", "${__dirname}", entry]),
            "binary": (entry, []),
        }[server["type"]]
        base["command"] = command
        base.setdefault("args", args)
    return base


def _typed(key: str, spec: dict[str, Any], value: Any) -> Any:
    kind = spec.get("type", "string")
    if kind == "number":
        if isinstance(value, bool) or not isinstance(value, int | float):
            try:
                value = float(value) if "." in str(value) else int(value)
            except (TypeError, ValueError):
                raise BadRequest(f"userConfig.{key} must be a number") from None
        low, high = spec.get("min"), spec.get("max")
        if (low is not None and value < low) or (high is not None and value > high):
            raise BadRequest(f"userConfig.{key} is out of range")
        return value
    if kind == "boolean":
        if isinstance(value, str) and value.lower() in ("true", "false"):
            return value.lower() == "true"
        if not isinstance(value, bool):
            raise BadRequest(f"userConfig.{key} must be a boolean")
        return value
    if isinstance(value, dict | list):
        raise BadRequest(f"userConfig.{key} must be a string")
    return str(value)


def user_values(manifest: dict[str, Any], given: dict[str, Any]) -> dict[str, Any]:
    """The value of every ``user_config`` key: the user's, else its default; 400 for an
    unknown key, a wrong type, or a required key without either."""
    specs: dict[str, dict[str, Any]] = manifest.get("user_config") or {}
    unknown = sorted(set(given) - set(specs))
    if unknown:
        raise BadRequest(f"Unknown userConfig key(s): {', '.join(unknown)}")
    values: dict[str, Any] = {}
    missing = []
    for key, spec in specs.items():
        value = given.get(key, spec.get("default"))
        if value is None or value == "" or value == []:
            if spec.get("required"):
                missing.append(key)
            continue
        if spec.get("multiple"):
            items = value if isinstance(value, list) else [value]
            values[key] = [_typed(key, spec, v) for v in items]
        else:
            values[key] = _typed(key, spec, value)
    if missing:
        raise BadRequest(f"Missing required userConfig value(s): {', '.join(missing)}")
    return values


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return " ".join(_text(v) for v in value)
    return "" if value is None else str(value)


class Substitution:
    """Fills ``${__dirname}``, ``${user_config.KEY}``, ``${HOME}``, ``${pathSeparator}``."""

    def __init__(self, dirname: Path, values: dict[str, Any]) -> None:
        home = Path.home()
        self.known: dict[str, Any] = {
            "__dirname": str(dirname),
            "HOME": str(home),
            "DESKTOP": str(home / "Desktop"),
            "DOCUMENTS": str(home / "Documents"),
            "DOWNLOADS": str(home / "Downloads"),
            "pathSeparator": "/",
            "/": "/",
        }
        self.known.update({f"user_config.{k}": v for k, v in values.items()})

    def value(self, name: str) -> Any:
        if name.startswith("user_config."):
            return self.known.get(name, "")
        return self.known.get(name)

    def text(self, template: str) -> str:
        def repl(match: re.Match[str]) -> str:
            value = self.value(match.group(1))
            return match.group(0) if value is None else _text(value)

        return _VAR.sub(repl, template)

    def args(self, args: list[Any]) -> list[str]:
        out: list[str] = []
        for arg in args:
            whole = _VAR.fullmatch(str(arg))
            value = self.value(whole.group(1)) if whole else None
            if isinstance(value, list):
                out.extend(_text(v) for v in value)
            elif whole and whole.group(1).startswith("user_config.") and value == "":
                continue  # an optional value left unset: no empty argument
            else:
                out.append(self.text(str(arg)))
        return out


def server_config(
    manifest: dict[str, Any], dirname: Path, values: dict[str, Any]
) -> dict[str, Any]:
    """The stdio server config of a bundle unpacked at ``dirname``."""
    config = mcp_config(manifest)
    fill = Substitution(dirname, values)
    env = {str(k): fill.text(_text(v)) for k, v in (config.get("env") or {}).items()}
    out: dict[str, Any] = {
        "type": "stdio",
        "command": fill.text(str(config["command"])),
        "args": fill.args(list(config.get("args") or [])),
        "cwd": str(dirname),
        "description": str(manifest.get("description", ""))[:500],
    }
    env = {k: v for k, v in env.items() if v != ""}
    if env:
        out["env"] = env
    return out
