"""Bearer keys: ``/api/auth/keys[/:id]`` (admin users only).

The hub keeps only a key's hash. The token is in the reply of the request that created
(or replaced) it, and afterwards only its masked hint is shown.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

from hub.api.api_spec import Op
from hub.api.base import APIHandler
from hub.auth.access import find_group, owner_for, require_user_admin
from hub.auth.principal import Policy
from hub.auth.tokens import hash_key, new_key_token
from hub.config.models import AccessType, BearerKey
from hub.errors import BadRequest, Conflict, NotFound

log = logging.getLogger(__name__)

MIN_TOKEN = 16
"""Client-supplied tokens shorter than this are refused: keys are only as strong as their text."""


class Body(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="ignore")


class NewKey(Body):
    name: str = Field(min_length=1, max_length=128)
    token: str | None = Field(None, min_length=MIN_TOKEN, max_length=512)
    enabled: bool = True
    access_type: AccessType = "all"
    allowed_groups: list[str] = Field(default_factory=list)
    allowed_servers: list[str] = Field(default_factory=list)


class KeyUpdate(Body):
    name: str | None = Field(None, min_length=1, max_length=128)
    token: str | None = Field(None, min_length=MIN_TOKEN, max_length=512)
    enabled: bool | None = None
    access_type: AccessType | None = None
    allowed_groups: list[str] | None = None
    allowed_servers: list[str] | None = None


def public(key: BearerKey, token: str | None = None) -> dict[str, Any]:
    """A key as the API shows it: the plaintext only when just created, else the hint."""
    hint = key.token_hint or "********"
    return {
        "id": key.id,
        "name": key.name,
        "token": token if token is not None else hint,
        "tokenHint": hint,
        "enabled": key.enabled,
        "accessType": key.access_type,
        "allowedGroups": list(key.allowed_groups),
        "allowedServers": list(key.allowed_servers),
        "owner": key.owner or "admin",
    }


class KeysBase(APIHandler):
    policy = Policy.ADMIN

    async def prepare(self) -> None:
        await super().prepare()
        require_user_admin(self.caller)

    def key_or_404(self, key_id: str) -> BearerKey:
        key = self.hub.config.keys.get(key_id)
        if key is None:
            raise NotFound("Bearer key not found")
        return key

    def check_scope(self, groups: list[str], servers: list[str]) -> None:
        live = self.hub.config
        unknown_groups = [g for g in groups if find_group(live, g) is None]
        if unknown_groups:
            raise BadRequest(f"Unknown group(s): {', '.join(unknown_groups)}")
        unknown_servers = [s for s in servers if s not in live.servers]
        if unknown_servers:
            raise BadRequest(f"Unknown server(s): {', '.join(unknown_servers)}")

    def check_token_free(self, token: str, key_id: str) -> None:
        other = self.hub.config.keys_by_hash.get(hash_key(token))
        if other is not None and other.id != key_id:
            raise Conflict("A key with this token already exists")


class KeysHandler(KeysBase):
    docs = {
        "GET": Op("List bearer keys (tokens masked)"),
        "POST": Op(
            "Create a key; the token (generated unless given) is shown only in this answer",
            body=NewKey,
            status=201,
            errors=(409,),
        ),
    }

    async def get(self) -> None:
        self.reply([public(k) for k in self.hub.config.keys.values()])

    async def post(self) -> None:
        body = self.body_as(NewKey)
        self.check_scope(body.allowed_groups, body.allowed_servers)
        token = body.token or new_key_token()
        key_id = str(uuid.uuid4())
        self.check_token_free(token, key_id)
        key = BearerKey(
            id=key_id,
            name=body.name,
            token=token,
            enabled=body.enabled,
            access_type=body.access_type,
            allowed_groups=body.allowed_groups,
            allowed_servers=body.allowed_servers,
            owner=owner_for(self.caller),
        )
        await self.hub.config.put_key(key, create=True)
        stored = self.hub.config.keys[key_id]
        log.info("Bearer key %s (%s, %s) created", key_id, body.name, body.access_type)
        self.reply(
            public(stored, token),
            "Bearer key created; copy the token now, it is not shown again",
            status=201,
        )


class KeyHandler(KeysBase):
    docs = {
        "GET": Op("Read one bearer key (token masked)"),
        "PUT": Op(
            "Change a key; a new token is shown only in this answer", body=KeyUpdate, errors=(409,)
        ),
        "DELETE": Op("Delete a bearer key"),
    }

    async def get(self, key_id: str) -> None:
        self.reply(public(self.key_or_404(key_id)))

    async def put(self, key_id: str) -> None:
        key = self.key_or_404(key_id)
        body = self.body_as(KeyUpdate)
        update = body.model_dump(exclude_none=True)
        if not update:
            raise BadRequest("Nothing to update")
        self.check_scope(body.allowed_groups or [], body.allowed_servers or [])
        if body.token is not None:
            self.check_token_free(body.token, key_id)
        key = key.model_copy(update=update)
        await self.hub.config.put_key(key)
        log.info("Bearer key %s updated (%s)", key_id, ", ".join(sorted(update)))
        self.reply(public(self.hub.config.keys[key_id], body.token), "Bearer key updated")

    async def delete(self, key_id: str) -> None:
        self.key_or_404(key_id)
        await self.hub.config.delete_key(key_id)
        log.info("Bearer key %s deleted", key_id)
        self.reply(message="Bearer key deleted")


default_handlers = [
    (r"/api/auth/keys", KeysHandler),
    (r"/api/auth/keys/(?P<key_id>[^/]+)", KeyHandler),
]
