"""Secrets out of server configs that are meant to be shared: every secret becomes a
``${VAR}`` placeholder the importer fills in.

Errs on the side of hiding: every env value and every header value (but a few harmless
ones) becomes a placeholder, because no name heuristic catches ``GITHUB_PAT`` or
``X-Org-Sig``; secret-looking URL parameters, URL passwords, secret-looking command-line
flags, proxy passwords and OpenAPI security values do too, and OAuth client secrets and
tokens are dropped. Templates (``hub.services.templates``) use it.
"""

from __future__ import annotations

import re
import urllib.parse
from typing import Any

from hub.config.models import ServerConfig

REFERENCE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Z_][A-Z0-9_]*)")
SECRET_NAME = re.compile(
    r"key|token|secret|passw|pwd|auth|credential|session|cookie|signature|^sig$|^code$",
    re.IGNORECASE,
)
HARMLESS_HEADERS = frozenset(
    {"accept", "accept-language", "content-type", "user-agent", "mcp-protocol-version"}
)
SCHEME = re.compile(r"^(Bearer|Basic|Token|Bot|ApiKey)\s+(.+)$", re.IGNORECASE)
OAUTH_SECRETS = frozenset(
    {
        "clientsecret",
        "accesstoken",
        "refreshtoken",
        "idtoken",
        "tokens",
        "codeverifier",
        "registrationaccesstoken",
        "pendingauthorization",
        "state",
    }
)


def env_name(*parts: str) -> str:
    name = re.sub(r"[^A-Za-z0-9]+", "_", "_".join(parts)).strip("_").upper() or "SECRET"
    return f"V_{name}" if name[0].isdigit() else name


def references(value: Any) -> set[str]:
    """Every ``${VAR}`` / ``$VAR`` named anywhere inside ``value``."""
    if isinstance(value, str):
        return {a or b for a, b in REFERENCE.findall(value)}
    if isinstance(value, dict):
        return set().union(*(references(v) for v in value.values())) if value else set()
    if isinstance(value, list):
        return set().union(*(references(v) for v in value)) if value else set()
    return set()


class Scrubber:
    """Hands out placeholder names; the same name for the same value, a longer one on clash."""

    def __init__(self) -> None:
        self._values: dict[str, str] = {}

    @property
    def names(self) -> set[str]:
        return set(self._values)

    def __call__(self, server: str, name: str, value: str) -> str:
        if REFERENCE.fullmatch(value.strip()):
            return value
        candidates = [env_name(name), env_name(server, name)]
        candidates += [f"{candidates[1]}_{i}" for i in range(2, 100)]
        for var in candidates:
            if self._values.setdefault(var, value) == value:
                return "${" + var + "}"
        raise ValueError("too many clashing placeholders")  # pragma: no cover

    def url(self, server: str, url: str) -> str:
        parts = urllib.parse.urlsplit(url)
        netloc = parts.netloc
        if parts.password:
            secret = self(server, "URL_PASSWORD", parts.password)
            netloc = f"{parts.username or ''}:{secret}@{parts.hostname or ''}"
            netloc += f":{parts.port}" if parts.port else ""
        query = [
            (k, self(server, k, v) if SECRET_NAME.search(k) and v else v)
            for k, v in urllib.parse.parse_qsl(parts.query, keep_blank_values=True)
        ]
        text = urllib.parse.urlencode(query, safe="${}", quote_via=urllib.parse.quote)
        return urllib.parse.urlunsplit(parts._replace(netloc=netloc, query=text))

    def args(self, server: str, args: list[str]) -> list[str]:
        out: list[str] = []
        for i, arg in enumerate(args):
            flag, eq, value = arg.partition("=")
            if eq and flag.startswith("-") and SECRET_NAME.search(flag) and value:
                arg = f"{flag}={self(server, flag, value)}"
            elif i and args[i - 1].startswith("-") and "=" not in args[i - 1]:
                previous = args[i - 1]
                if SECRET_NAME.search(previous) and not arg.startswith("-"):
                    arg = self(server, previous, arg)
            out.append(arg)
        return out

    def values(self, server: str, prefix: str, data: Any) -> Any:
        """Secret-named string values anywhere in ``data`` become placeholders."""
        if isinstance(data, dict):
            return {
                k: self(server, f"{prefix}_{k}", v)
                if isinstance(v, str) and v and SECRET_NAME.search(k)
                else self.values(server, prefix, v)
                for k, v in data.items()
            }
        if isinstance(data, list):
            return [self.values(server, prefix, v) for v in data]
        return data


def _drop_oauth_secrets(data: Any) -> Any:
    if isinstance(data, dict):
        return {
            k: _drop_oauth_secrets(v) for k, v in data.items() if k.lower() not in OAUTH_SECRETS
        }
    if isinstance(data, list):
        return [_drop_oauth_secrets(v) for v in data]
    return data


def scrub_server(scrub: Scrubber, name: str, config: ServerConfig) -> dict[str, Any]:
    """A server config fit to share: no owner, no secret."""
    doc = config.wire(exclude_unset=True)
    doc.pop("owner", None)
    if doc.get("env"):
        doc["env"] = {k: scrub(name, k, str(v)) for k, v in doc["env"].items()}
    if doc.get("headers"):
        headers = {}
        for k, v in doc["headers"].items():
            if k.lower() in HARMLESS_HEADERS:
                headers[k] = v
            elif m := SCHEME.match(v):
                headers[k] = f"{m.group(1)} {scrub(name, k, m.group(2))}"
            else:
                headers[k] = scrub(name, k, v)
        doc["headers"] = headers
    if doc.get("url"):
        doc["url"] = scrub.url(name, doc["url"])
    if doc.get("args"):
        doc["args"] = scrub.args(name, doc["args"])
    if doc.get("proxy"):
        doc["proxy"] = scrub.values(name, "PROXY", doc["proxy"])
    if doc.get("oauth"):
        doc["oauth"] = _drop_oauth_secrets(doc["oauth"])
    if isinstance(doc.get("openapi"), dict):
        api = dict(doc["openapi"])
        if isinstance(api.get("url"), str):
            api["url"] = scrub.url(name, api["url"])
        if "security" in api:
            api["security"] = scrub.values(name, "OPENAPI", api["security"])
        doc["openapi"] = api
    return doc
