"""MCPB bundle upload: check, unpack, and register as a stdio server in one request.

Only an admin's login session may upload (a bundle runs a program on the hub's machine; a
bearer key may not). The bundle is unpacked under ``<data dir>/mcpb/`` into its own folder,
the manifest validated, ``${__dirname}`` and ``${user_config.*}`` filled in server-side,
then the server is created through ``create_server``. Any failure removes the folder.
"""

from __future__ import annotations

import asyncio
import io
import json
import re
import secrets
import zipfile
import zlib
from typing import TYPE_CHECKING, Any

from pydantic import TypeAdapter, ValidationError

from hub.catalogs import bundle, manifest
from hub.config.models import ServerConfig
from hub.config.redaction import mask_server
from hub.errors import BadRequest, Forbidden, PayloadTooLarge, validation_message
from hub.services import servers
from hub.upstream.config_check import ServerName

if TYPE_CHECKING:
    from hub.app import Hub
    from hub.auth.principal import Principal

CORRUPT = (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError)
"""What reading a damaged, encrypted or oddly compressed entry raises."""
FIELD = "mcpbFile"
"""MCPHub's multipart field name for the bundle."""
_NAME = TypeAdapter(ServerName)


def require_uploader(principal: Principal) -> None:
    """Admins only, and a login session: a bundle runs code on the hub's machine."""
    if not principal.is_admin:
        raise Forbidden("Only admins can upload MCPB bundles")
    if principal.kind == "key":
        raise Forbidden("MCPB uploads need an admin's login session, not a bearer key")


def limits(hub: Hub) -> bundle.Limits:
    settings = hub.config.system.mcpb
    return bundle.Limits(settings.max_unpacked_bytes, settings.max_ratio, settings.max_entries)


def parse_user_config(raw: str | None) -> dict[str, Any]:
    if not raw:
        return {}
    try:
        value = json.loads(raw)
    except json.JSONDecodeError:
        raise BadRequest("userConfig must be a JSON object") from None
    if not isinstance(value, dict):
        raise BadRequest("userConfig must be a JSON object")
    return value


def _read_manifest(archive: zipfile.ZipFile) -> dict[str, Any]:
    try:
        info = archive.getinfo("manifest.json")
    except KeyError:
        raise BadRequest("manifest.json not found in MCPB file") from None
    if info.file_size > manifest.MAX_MANIFEST:
        raise BadRequest("Invalid manifest: manifest.json is larger than 1 MiB")
    try:
        with archive.open(info) as handle:
            raw = handle.read(manifest.MAX_MANIFEST + 1)
    except CORRUPT as exc:
        raise BadRequest(f"Refused MCPB bundle: the archive is corrupt ({exc})") from None
    return manifest.parse(raw)


def _reveals(arg: str, secret: str) -> bool:
    """Whether an argument shows a secret value (short values only when whole)."""
    return arg == secret or (len(secret) >= 6 and secret in arg)


async def upload(
    hub: Hub,
    principal: Principal,
    filename: str,
    data: bytes,
    user_config: str | None = None,
    name: str | None = None,
) -> dict[str, Any]:
    """Install a bundle; returns MCPHub's ``{manifest, extractDir}`` plus ``server``."""
    require_uploader(principal)
    if not filename.lower().endswith(".mcpb"):
        raise BadRequest("Only .mcpb files are accepted")
    cap = hub.config.system.mcpb.max_upload_bytes
    if len(data) > cap:
        raise PayloadTooLarge(f"MCPB file exceeds {cap} bytes")
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError):
        raise BadRequest("The upload is not a valid MCPB (zip) file") from None
    with archive:
        bounds = limits(hub)
        bundle.check_archive(archive, bounds)
        parsed = _read_manifest(archive)
        values = manifest.user_values(parsed, parse_user_config(user_config))
        try:
            server_name = _NAME.validate_python(name or parsed["name"])
        except ValidationError as exc:
            raise BadRequest(validation_message(exc)[0]) from exc
        servers.check_free(hub.config, server_name)
        root = bundle.bundles_root(hub)
        safe = re.sub(r"[^A-Za-z0-9._-]", "_", server_name)[:80]
        folder = root / f"server-{safe}-{secrets.token_hex(4)}"
        try:
            await asyncio.to_thread(bundle.extract, archive, folder, bounds)
        except CORRUPT as exc:
            bundle.remove_tree(folder)
            raise BadRequest(f"Refused MCPB bundle: the archive is corrupt ({exc})") from None
        except BaseException:
            bundle.remove_tree(folder)
            raise
    specs = parsed.get("user_config") or {}
    secret_values = [
        str(v)
        for k, value in values.items()
        if specs.get(k, {}).get("sensitive")
        for v in (value if isinstance(value, list) else [value])
    ]
    try:
        raw = manifest.server_config(parsed, folder, values)
        hidden = [
            i for i, a in enumerate(raw["args"]) if any(_reveals(a, s) for s in secret_values)
        ]
        if hidden:
            raw["secretArgs"] = hidden  # masked like env values in every API reply
        config = ServerConfig.model_validate(raw)
        await servers.create_server(hub, principal, server_name, config)
    except BaseException:
        bundle.remove_tree(folder)
        raise
    stored = hub.config.servers[server_name].wire()
    return {
        "manifest": parsed,
        "extractDir": str(folder),
        "server": {"name": server_name, "config": mask_server(stored)},
    }
