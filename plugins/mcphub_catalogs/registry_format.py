"""The official registry's ``server.json`` (v0.1) turned into a hub server config.

A package becomes a command with an argument list, never a shell string: npm
``npx -y id@version``, pypi ``uvx id==version``, oci ``docker run -i --rm [-e NAME…]
id:version``; runtime arguments go before the package, package arguments after it, and
environment variables into ``env``. A remote becomes an ``sse`` or ``streamable-http``
server with its ``{var}`` values filled in and its headers. The user's values are looked up
by environment variable name, header name, argument name (``--port`` or ``port``), a
positional argument's ``valueHint``, or ``{var}`` name.
"""

from __future__ import annotations

import re
from typing import Any

from hub.plugin_api import BadRequest

PACKAGE_TYPES = ("npm", "pypi", "oci")
_VAR = re.compile(r"\{([A-Za-z_][A-Za-z0-9_.-]*)\}")


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


class Filler:
    """Looks up the user's values and collects what is required but missing."""

    def __init__(self, values: dict[str, Any]) -> None:
        self.values = values
        self.missing: list[str] = []

    def lookup(self, *keys: str | None) -> Any:
        for key in keys:
            if key and self.values.get(key) not in (None, ""):
                return self.values[key]
        return None

    def fill(self, template: str, variables: dict[str, Any] | None) -> str:
        """``{var}`` placeholders from the user's values, else the variable's default."""

        def repl(match: re.Match[str]) -> str:
            name = match.group(1)
            spec = (variables or {}).get(name) or {}
            value = self.lookup(name)
            if value is None:
                value = spec.get("default") if isinstance(spec, dict) else None
            if value is None:
                if isinstance(spec, dict) and spec.get("isRequired"):
                    self.missing.append(name)
                return ""
            return _text(value)

        return _VAR.sub(repl, template)

    def input_value(self, spec: dict[str, Any], *keys: str | None) -> str | None:
        """An argument's, variable's or header's value: the user's, else its fixed
        ``value``, else its ``default``; None when there is none."""
        given = self.lookup(*keys)
        if given is not None:
            return _text(given)
        if spec.get("value") not in (None, ""):
            return self.fill(_text(spec["value"]), spec.get("variables"))
        if spec.get("default") not in (None, ""):
            return _text(spec["default"])
        if spec.get("isRequired"):
            self.missing.append(next((k for k in keys if k), "?"))
        return None

    def arguments(self, specs: Any) -> list[str]:
        out: list[str] = []
        for spec in specs or []:
            if not isinstance(spec, dict):
                continue
            if spec.get("type") == "named":
                name = _text(spec.get("name"))
                value = self.input_value(spec, name, name.lstrip("-"), spec.get("valueHint"))
                if value is not None and name:
                    out += [name, value] if value != "" else [name]
            else:
                value = self.input_value(spec, spec.get("valueHint"), spec.get("name"))
                if value is not None and value != "":
                    out.append(value)
        return out

    def check(self) -> None:
        if self.missing:
            names = ", ".join(sorted(set(self.missing)))
            raise BadRequest(f"Missing required argument(s): {names}")


def _package_ref(kind: str, identifier: str, version: str) -> str:
    if kind == "npm":
        return f"{identifier}@{version}" if version else identifier
    if kind == "pypi":
        return f"{identifier}=={version}" if version else identifier
    tail = identifier.rsplit("/", 1)[-1]
    if ":" in tail or "@" in tail or not version:
        return identifier  # the image reference already names its tag or digest
    return f"{identifier}:{version}"


def package_config(package: dict[str, Any], version: str, filler: Filler) -> dict[str, Any]:
    """A stdio config running a registry package."""
    kind = package.get("registryType")
    identifier = _text(package.get("identifier"))
    if kind not in PACKAGE_TYPES or not identifier:
        raise BadRequest(f"Packages of type '{kind}' cannot be installed by the hub")
    env: dict[str, str] = {}
    for spec in package.get("environmentVariables") or []:
        if isinstance(spec, dict) and spec.get("name"):
            value = filler.input_value(spec, spec["name"])
            if value:
                env[spec["name"]] = value
    runtime = filler.arguments(package.get("runtimeArguments"))
    rest = filler.arguments(package.get("packageArguments"))
    ref = _package_ref(kind, identifier, _text(package.get("version")) or version)
    if kind == "npm":
        command, args = "npx", ["-y", *runtime, ref, *rest]
    elif kind == "pypi":
        command, args = "uvx", [*runtime, ref, *rest]
    else:
        passed = [part for name in env for part in ("-e", name)]
        command, args = "docker", ["run", "-i", "--rm", *runtime, *passed, ref, *rest]
    config: dict[str, Any] = {"type": "stdio", "command": command, "args": args}
    if env:
        config["env"] = env
    return config


def remote_config(remote: dict[str, Any], filler: Filler) -> dict[str, Any]:
    """An sse or streamable-http config for a registry remote."""
    kind = "sse" if remote.get("type") == "sse" else "streamable-http"
    url = filler.fill(_text(remote.get("url")), remote.get("variables"))
    headers: dict[str, str] = {}
    for spec in remote.get("headers") or []:
        if isinstance(spec, dict) and spec.get("name"):
            value = filler.input_value(spec, spec["name"])
            if value:
                headers[spec["name"]] = value
    config: dict[str, Any] = {"type": kind, "url": url}
    if headers:
        config["headers"] = headers
    return config


def server_config(
    detail: dict[str, Any], installation: str | None, values: dict[str, Any]
) -> dict[str, Any]:
    """The config installing a registry ``ServerDetail`` by ``installation`` (a package type,
    or ``remote``; default: the first package, else the first remote)."""
    packages = [p for p in detail.get("packages") or [] if isinstance(p, dict)]
    remotes = [r for r in detail.get("remotes") or [] if isinstance(r, dict)]
    filler = Filler(values)
    if installation in (None, "", "remote") and (installation == "remote" or not packages):
        if not remotes:
            raise BadRequest("This server has no remote to connect to")
        streamable = [r for r in remotes if r.get("type") != "sse"]
        config = remote_config((streamable or remotes)[0], filler)
    else:
        wanted = installation or packages[0].get("registryType")
        chosen = [p for p in packages if p.get("registryType") == wanted]
        if not chosen:
            have = sorted({str(p.get("registryType")) for p in packages})
            have += ["remote"] if remotes else []
            raise BadRequest(
                f"No '{wanted}' installation; this server offers: {', '.join(have) or 'none'}"
            )
        config = package_config(chosen[0], _text(detail.get("version")), filler)
    filler.check()
    if detail.get("description"):
        config["description"] = _text(detail["description"])[:500]
    return config
