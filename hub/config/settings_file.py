"""``mcp_settings.json`` as a file: read it with readable errors, turn it into the store's
collections and back, write it atomically.

The CLI (import, export, backups), the first-start import and the settings-file store share
these, so a file means the same thing wherever it is read.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from hub.auth.tokens import hash_key, mask_token
from hub.config.models import BearerKey, McpSettings

Snapshot = dict[str, dict[str, dict[str, Any]]]
"""``snapshot[collection][key] = document``: what a Store holds."""


class SettingsFileError(ValueError):
    """A settings file that cannot be used; the message is one readable line."""


def parse_settings(text: str, source: str) -> McpSettings:
    """The settings ``text`` holds; ``SettingsFileError`` naming ``source`` and the place."""
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as exc:
        raise SettingsFileError(
            f"{source} is not valid JSON: line {exc.lineno} column {exc.colno}: {exc.msg}"
        ) from exc
    except RecursionError as exc:
        raise SettingsFileError(f"{source} is not valid JSON: nested too deeply") from exc
    if not isinstance(raw, dict):
        raise SettingsFileError(f"{source} must hold a JSON object (mcpServers, users …)")
    try:
        return McpSettings.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise SettingsFileError(f"{source}: {where}: {first['msg']}") from exc


def read_settings(path: Path) -> tuple[McpSettings, str]:
    """The settings in ``path`` and the text they came from."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise SettingsFileError(f"cannot read {path}: no such file") from exc
    except UnicodeDecodeError as exc:
        raise SettingsFileError(f"cannot read {path}: not UTF-8 text") from exc
    except OSError as exc:
        raise SettingsFileError(f"cannot read {path}: {exc.strerror or exc}") from exc
    return parse_settings(text, str(path)), text


def fingerprint(text: str | bytes) -> str:
    """A digest telling two versions of a file apart."""
    data = text.encode() if isinstance(text, str) else text
    return hashlib.sha256(data).hexdigest()


def dump(document: dict[str, Any]) -> str:
    """The text written for a settings document: indented as people keep the file."""
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def write_atomic(path: Path, text: str) -> None:
    """Temp file in the same directory, fsync, rename: readers see old or new, never half."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
        dir_fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def secure_key(key: BearerKey) -> BearerKey:
    """Replace a plaintext token by its hash and a masked hint (imported MCPHub keys)."""
    if not key.token:
        return key
    return key.model_copy(
        update={
            "token": None,
            "token_hash": hash_key(key.token),
            "token_hint": mask_token(key.token),
        }
    )


def settings_snapshot(settings: McpSettings, created: float | None = None) -> Snapshot:
    """The store's collections for a settings file: plaintext keys hashed, MCPHub's legacy
    ``routing.bearerAuthKey`` turned into an all-access key named ``default``."""
    now = time.time() if created is None else created
    system = settings.system_config
    keys = [secure_key(k) for k in settings.bearer_keys]
    legacy = system.routing.bearer_auth_key
    if legacy and not any(k.name == "default" for k in keys):
        keys.append(
            secure_key(
                BearerKey(id=str(uuid.uuid4()), name="default", token=legacy, access_type="all")
            )
        )
    if legacy:
        system = system.model_copy(
            update={"routing": system.routing.model_copy(update={"bearer_auth_key": ""})}
        )
    extras = dict(settings.model_extra or {})
    return {
        "servers": {
            name: {"config": cfg.wire(exclude_unset=True), "createdAt": now}
            for name, cfg in settings.mcp_servers.items()
        },
        "groups": {g.id: g.wire(exclude_unset=True) for g in settings.groups},
        "users": {u.username: u.wire(exclude_unset=True) for u in settings.users},
        "bearer_keys": {k.id: k.wire(exclude_unset=True) for k in keys},
        "system": {"config": system.wire(exclude_unset=True)},
        "prompts": {p.id: p.wire(exclude_unset=True) for p in settings.prompts},
        "resources": {r.id: r.wire(exclude_unset=True) for r in settings.resources},
        "oauth_clients": {
            str(c.get("clientId", i)): secure_oauth_client(c)
            for i, c in enumerate(settings.oauth_clients or [])
        },
        "oauth_tokens": dict(
            secure_oauth_token(t, i) for i, t in enumerate(settings.oauth_tokens or [])
        ),
        "user_configs": {k: {"value": v} for k, v in (settings.user_configs or {}).items()},
        "extra": {k: {"value": v} for k, v in extras.items()},
        "tool_pins": dict(settings.tool_pins or {}),
    }


def secure_oauth_client(doc: dict[str, Any]) -> dict[str, Any]:
    """An MCPHub client record with its plaintext ``clientSecret`` replaced by its hash."""
    doc = dict(doc)
    secret = doc.pop("clientSecret", None)
    if secret:
        doc["clientSecretHash"] = hash_key(str(secret))
    return doc


def secure_oauth_token(doc: dict[str, Any], index: int) -> tuple[str, dict[str, Any]]:
    """An MCPHub token record keyed and stored by hashes (``accessTokenHash`` …), so an
    imported token keeps working and an export never holds it in plaintext."""
    doc = dict(doc)
    for field in ("accessToken", "refreshToken"):
        value = doc.pop(field, None)
        if value:
            doc[f"{field}Hash"] = hash_key(str(value))
    return str(doc.get("accessTokenHash") or index), doc


def snapshot_document(snapshot: Snapshot) -> dict[str, Any]:
    """The ``mcp_settings.json`` document for a store's collections (``settings_snapshot``
    read backwards; documents are kept as the store holds them)."""

    def values(collection: str) -> list[dict[str, Any]]:
        return list(snapshot.get(collection, {}).values())

    doc: dict[str, Any] = {
        "mcpServers": {n: d["config"] for n, d in snapshot.get("servers", {}).items()},
        "users": values("users"),
        "groups": values("groups"),
        "systemConfig": snapshot.get("system", {}).get("config", {}),
        "bearerKeys": values("bearer_keys"),
        "prompts": values("prompts"),
        "resources": values("resources"),
        "oauthClients": values("oauth_clients"),
        "oauthTokens": values("oauth_tokens"),
        "userConfigs": {k: d.get("value") for k, d in snapshot.get("user_configs", {}).items()},
    }
    if snapshot.get("tool_pins"):
        doc["toolPins"] = dict(snapshot["tool_pins"])
    for key, d in snapshot.get("extra", {}).items():
        doc.setdefault(key, d.get("value"))
    return doc
