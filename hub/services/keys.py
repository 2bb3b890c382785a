"""Bearer keys: create, change, delete, list (admin *users* only, so a leaked key cannot
mint more keys).

The hub keeps only a key's hash. The plaintext token is returned once, by the call that
created (or replaced) it; afterwards only its masked hint is shown.
"""

from __future__ import annotations

import logging
import uuid
from typing import TYPE_CHECKING

from pydantic import Field

from hub.auth.access import find_group, owner_for, require_user_admin
from hub.auth.principal import Principal
from hub.auth.tokens import hash_key, new_key_token
from hub.config.models import AccessType, BearerKey
from hub.config.names import shown
from hub.errors import BadRequest, Conflict, NotFound
from hub.services import Body

if TYPE_CHECKING:
    from hub.app import Hub

log = logging.getLogger(__name__)

MIN_TOKEN = 16
"""Client-supplied tokens shorter than this are refused: keys are only as strong as their text."""


class NewKey(Body):
    """A key to create; the token is generated unless given."""

    name: str = Field(min_length=1, max_length=128)
    token: str | None = Field(None, min_length=MIN_TOKEN, max_length=512)
    enabled: bool = True
    access_type: AccessType = "all"
    allowed_groups: list[str] = Field(default_factory=list)
    allowed_servers: list[str] = Field(default_factory=list)
    allow_host_execution: bool = False


class KeyUpdate(Body):
    """The fields of a key to change; those left out stay as they are."""

    name: str | None = Field(None, min_length=1, max_length=128)
    token: str | None = Field(None, min_length=MIN_TOKEN, max_length=512)
    enabled: bool | None = None
    access_type: AccessType | None = None
    allowed_groups: list[str] | None = None
    allowed_servers: list[str] | None = None
    allow_host_execution: bool | None = None


def check_scope(hub: Hub, groups: list[str], servers: list[str]) -> None:
    """400 naming groups or servers that do not exist: a key must not wait for a name that
    someone creates later."""
    live = hub.config
    unknown_groups = [g for g in groups if find_group(live, g) is None]
    if unknown_groups:
        raise BadRequest(f"Unknown group(s): {', '.join(map(shown, unknown_groups))}")
    unknown_servers = [s for s in servers if s not in live.servers]
    if unknown_servers:
        raise BadRequest(f"Unknown server(s): {', '.join(map(shown, unknown_servers))}")


def check_token_free(hub: Hub, token: str, key_id: str) -> None:
    """409 when another key has this token (keys are looked up by the token's hash)."""
    other = hub.config.keys_by_hash.get(hash_key(token))
    if other is not None and other.id != key_id:
        raise Conflict("A key with this token already exists")


def list_keys(hub: Hub, principal: Principal) -> list[BearerKey]:
    """Every key, as stored (hash and hint, no plaintext)."""
    require_user_admin(principal)
    return list(hub.config.keys.values())


def get_key(hub: Hub, principal: Principal, key_id: str) -> BearerKey:
    """One key; 404 when there is none with this id."""
    require_user_admin(principal)
    key = hub.config.keys.get(key_id)
    if key is None:
        raise NotFound("Bearer key not found")
    return key


async def create_key(hub: Hub, principal: Principal, body: NewKey) -> tuple[BearerKey, str]:
    """A new key; returns it as stored and its plaintext token (the only time it is seen)."""
    require_user_admin(principal)
    check_scope(hub, body.allowed_groups, body.allowed_servers)
    token = body.token or new_key_token()
    key_id = str(uuid.uuid4())
    check_token_free(hub, token, key_id)
    key = BearerKey(
        id=key_id,
        name=body.name,
        token=token,
        enabled=body.enabled,
        access_type=body.access_type,
        allowed_groups=body.allowed_groups,
        allowed_servers=body.allowed_servers,
        owner=owner_for(principal),
        allow_host_execution=body.allow_host_execution,
    )
    await hub.config.put_key(key, create=True)
    log.info("Bearer key %s (%s, %s) created", key_id, body.name, body.access_type)
    return hub.config.keys[key_id], token


async def update_key(hub: Hub, principal: Principal, key_id: str, body: KeyUpdate) -> BearerKey:
    """Change the fields the body sets; returns the key as stored."""
    key = get_key(hub, principal, key_id)
    update = body.model_dump(exclude_none=True)
    if not update:
        raise BadRequest("Nothing to update")
    check_scope(hub, body.allowed_groups or [], body.allowed_servers or [])
    if body.token is not None:
        check_token_free(hub, body.token, key_id)
    await hub.config.put_key(key.model_copy(update=update))
    log.info("Bearer key %s updated (%s)", key_id, ", ".join(sorted(update)))
    return hub.config.keys[key_id]


async def delete_key(hub: Hub, principal: Principal, key_id: str) -> None:
    """Delete a key; requests with its token fail from now on."""
    get_key(hub, principal, key_id)
    await hub.config.delete_key(key_id)
    log.info("Bearer key %s deleted", key_id)
