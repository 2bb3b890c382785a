"""Configuration templates: servers and groups to share, with every secret made a ``${VAR}``.

Export errs on the side of hiding: every env value and every header value (but a few
harmless ones) becomes a placeholder, because no name heuristic catches ``GITHUB_PAT`` or
``X-Org-Sig``; secret-looking URL parameters, URL passwords, secret-looking command-line
flags, proxy passwords and OpenAPI security values do too, and OAuth client secrets and
tokens are dropped. Import creates what is missing, owned by the importer, through the same
access checks as every other write path.
"""

from __future__ import annotations

import re
import time
import urllib.parse
import uuid
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from hub.auth.access import (
    can_see_server,
    check_group_name,
    check_imported_config,
    find_group,
    is_privileged,
    owner_for,
)
from hub.auth.principal import Principal
from hub.config.models import Group, GroupServer, ServerConfig
from hub.config.store import Conflict as StoreConflict
from hub.errors import HubError

if TYPE_CHECKING:
    from hub.config.live import LiveConfig

VERSION = "1.0"
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
NAME = r"^[^/\s$][^/]{0,127}$"


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


def build_template(
    live: LiveConfig,
    name: str,
    description: str | None,
    servers: list[str],
    groups: list[Group],
) -> dict[str, Any]:
    """The template document for the named servers and groups (already access-checked)."""
    scrub = Scrubber()
    exported = {s: scrub_server(scrub, s, live.servers[s]) for s in servers}
    group_docs = [
        {
            "name": g.name,
            "description": g.description,
            "servers": [m.wire() for m in g.servers if m.name in exported],
        }
        for g in groups
    ]
    return {
        "version": VERSION,
        "name": name,
        "description": description,
        "createdAt": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "servers": exported,
        "groups": group_docs,
        "requiredEnvVars": sorted(scrub.names | references(exported)),
    }


# --------------------------------------------------------------------- import


class TemplateDoc(BaseModel):
    """What import accepts; each server and group is validated on its own, per item."""

    model_config = ConfigDict(populate_by_name=True, extra="ignore")

    version: str = VERSION
    name: str = ""
    servers: dict[str, dict[str, Any]] = Field(default_factory=dict)
    groups: list[dict[str, Any]] = Field(default_factory=list)
    required_env_vars: list[str] = Field(default_factory=list, alias="requiredEnvVars")


def _detail(kind: str, name: str, action: str, message: str) -> dict[str, str]:
    return {"type": kind, "name": name, "action": action, "message": message}


async def import_template(
    live: LiveConfig, principal: Principal, template: TemplateDoc
) -> dict[str, Any]:
    """Create the missing servers and groups of ``template``; one ``details`` entry per item."""
    details: list[dict[str, str]] = []
    for name, raw in template.servers.items():
        details.append(await _import_server(live, principal, name, raw))
    for raw in template.groups:
        details.append(await _import_group(live, principal, raw))
    counts = {
        f"{kind}s{action.capitalize()}": sum(
            1 for d in details if d["type"] == kind and d["action"] == action
        )
        for kind in ("server", "group")
        for action in ("created", "skipped", "failed")
    }
    created = [d["name"] for d in details if d["type"] == "server" and d["action"] == "created"]
    needed = set(template.required_env_vars) | references(
        [live.servers[n].wire() for n in created if n in live.servers]
    )
    return {
        "success": counts["serversCreated"] + counts["groupsCreated"] > 0,
        **counts,
        "requiredEnvVars": sorted(needed),
        "details": details,
    }


async def _import_server(
    live: LiveConfig, principal: Principal, name: str, raw: dict[str, Any]
) -> dict[str, str]:
    if not re.match(NAME, name):
        return _detail("server", name, "failed", "Invalid server name")
    if name in live.servers:
        return _detail("server", name, "skipped", "A server with this name already exists")
    try:
        config = ServerConfig.model_validate(raw)
        check_imported_config(principal, config)
    except ValidationError as exc:
        return _detail("server", name, "failed", f"Invalid config: {exc.errors()[0]['msg']}")
    except HubError as exc:
        return _detail("server", name, "failed", exc.message)
    update: dict[str, Any] = {"owner": owner_for(principal)}
    message = "Server created"
    if is_privileged(config) and config.enabled:
        # Someone else's command line: an admin reads it before it runs.
        update["enabled"] = False
        message = "Server created disabled: review its command, then enable it"
    try:
        await live.put_server(name, config.model_copy(update=update), create=True)
    except StoreConflict:
        return _detail("server", name, "skipped", "A server with this name already exists")
    return _detail("server", name, "created", message)


async def _import_group(live: LiveConfig, principal: Principal, raw: Any) -> dict[str, str]:
    name = str(raw.get("name", "")) if isinstance(raw, dict) else ""
    if not re.match(NAME, name):
        return _detail("group", name, "failed", "Invalid group name")
    if find_group(live, name) is not None:
        return _detail("group", name, "skipped", "A group with this name already exists")
    try:
        check_group_name(live, name)
    except HubError as exc:
        return _detail("group", name, "failed", exc.message)
    try:
        group = Group.model_validate(
            {
                "id": str(uuid.uuid4()),
                "name": name,
                "description": raw.get("description"),
                "servers": raw.get("servers") or [],
                "owner": owner_for(principal),
            }
        )
    except ValidationError as exc:
        return _detail("group", name, "failed", f"Invalid group: {exc.errors()[0]['msg']}")
    members: list[GroupServer] = []
    missing: list[str] = []
    for member in group.servers:
        config = live.servers.get(member.name)
        if config is not None and can_see_server(principal, member.name, config):
            members.append(member)
        else:
            missing.append(member.name)
    await live.put_group(group.model_copy(update={"servers": members}), create=True)
    message = "Group created"
    if missing:
        message += f" without unavailable server(s): {', '.join(missing)}"
    return _detail("group", name, "created", message)
