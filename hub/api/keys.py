"""Bearer keys: ``/api/auth/keys[/:id]`` (admin users only).

The hub keeps only a key's hash. The token is in the reply of the request that created
(or replaced) it, and afterwards only its masked hint is shown. The rules are in
``hub.services.keys``.
"""

from __future__ import annotations

from typing import Any

from hub.api.api_spec import Op
from hub.api.base import APIHandler
from hub.auth.access import require_user_admin
from hub.auth.principal import Policy
from hub.config.models import BearerKey
from hub.services import keys
from hub.services.keys import KeyUpdate, NewKey


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
        "allowHostExecution": key.allow_host_execution,
    }


class KeysBase(APIHandler):
    """Admin users only, refused before the body is read (the services check again)."""

    policy = Policy.ADMIN

    async def prepare(self) -> None:
        await super().prepare()
        require_user_admin(self.caller)


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
        self.reply([public(k) for k in keys.list_keys(self.hub, self.caller)])

    async def post(self) -> None:
        key, token = await keys.create_key(self.hub, self.caller, self.body_as(NewKey))
        self.reply(
            public(key, token),
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
        self.reply(public(keys.get_key(self.hub, self.caller, key_id)))

    async def put(self, key_id: str) -> None:
        body = self.body_as(KeyUpdate)
        key = await keys.update_key(self.hub, self.caller, key_id, body)
        self.reply(public(key, body.token), "Bearer key updated")

    async def delete(self, key_id: str) -> None:
        await keys.delete_key(self.hub, self.caller, key_id)
        self.reply(message="Bearer key deleted")


default_handlers = [
    (r"/api/auth/keys", KeysHandler),
    (r"/api/auth/keys/(?P<key_id>[^/]+)", KeyHandler),
]
