"""The live configuration: typed, in memory for the hot path, written through to the store.

Every mutation is written to the store first (so a crash never loses an acknowledged
change), then applied in memory, then published on the change bus as a typed
``ChangeEvent`` naming the kind, the record and the action.
"""

from __future__ import annotations

import time
from typing import Any

from hub.config.events import Change, ChangeEvent, EventBus, Kind
from hub.config.models import (
    BearerKey,
    BuiltinPrompt,
    BuiltinResource,
    Group,
    McpSettings,
    ServerConfig,
    SystemConfig,
    User,
)
from hub.config.settings_file import secure_key, settings_snapshot
from hub.config.store import Store


class LiveConfig:
    """All configuration the hub serves from, keyed for O(1) lookups."""

    def __init__(self, store: Store, bus: EventBus) -> None:
        self.store = store
        self.bus = bus
        self.servers: dict[str, ServerConfig] = {}
        self.server_created: dict[str, float] = {}
        self.groups: dict[str, Group] = {}
        self.users: dict[str, User] = {}
        self.keys: dict[str, BearerKey] = {}
        self.keys_by_hash: dict[str, BearerKey] = {}
        self.system = SystemConfig()
        self.prompts: dict[str, BuiltinPrompt] = {}
        self.resources: dict[str, BuiltinResource] = {}
        self.oauth_clients: dict[str, dict[str, Any]] = {}
        self.oauth_tokens: dict[str, dict[str, Any]] = {}
        self.user_configs: dict[str, Any] = {}
        self.extra: dict[str, Any] = {}
        self.tool_pins: dict[str, dict[str, Any]] = {}
        """Approved tool definitions by server (``hub.upstream.pins``); each document is
        replaced, never changed in place."""

    # ------------------------------------------------------------------ loading

    async def load(self) -> None:
        s = self.store
        self.servers, self.server_created = {}, {}
        for name, doc in await s.items("servers"):
            self.servers[name] = ServerConfig.model_validate(doc["config"])
            self.server_created[name] = doc.get("createdAt", 0.0)
        self.groups = {k: Group.model_validate(d) for k, d in await s.items("groups")}
        self.users = {k: User.model_validate(d) for k, d in await s.items("users")}
        self.keys = {k: BearerKey.model_validate(d) for k, d in await s.items("bearer_keys")}
        self._index_keys()
        system = await s.get("system", "config")
        self.system = SystemConfig.model_validate(system or {})
        self.prompts = {k: BuiltinPrompt.model_validate(d) for k, d in await s.items("prompts")}
        self.resources = {
            k: BuiltinResource.model_validate(d) for k, d in await s.items("resources")
        }
        self.oauth_clients = dict(await s.items("oauth_clients"))
        self.oauth_tokens = dict(await s.items("oauth_tokens"))
        self.user_configs = {k: d.get("value") for k, d in await s.items("user_configs")}
        self.extra = {k: d.get("value") for k, d in await s.items("extra")}
        self.tool_pins = dict(await s.items("tool_pins"))

    async def apply(self, event: ChangeEvent) -> None:
        """Bring one record in line with the store after another instance changed it (a
        ``Kind.IMPORTED`` event reloads everything). Publishes nothing: the caller emits."""
        s, record = self.store, event.record
        collection = event.detail.get("collection")
        if event.kind == Kind.IMPORTED:
            await self.load()
        elif event.kind == Kind.SYSTEM:
            self.system = SystemConfig.model_validate(await s.get("system", "config") or {})
        elif record is None:
            return
        elif event.kind == Kind.SERVERS:
            doc = await s.get("servers", record)
            if doc is None:
                self.servers.pop(record, None)
                self.server_created.pop(record, None)
            else:
                self.servers[record] = ServerConfig.model_validate(doc["config"])
                self.server_created[record] = doc.get("createdAt", 0.0)
        elif event.kind == Kind.KEYS:
            _set(self.keys, record, await s.get("bearer_keys", record), BearerKey.model_validate)
            self._index_keys()
        elif event.kind in _MODELS:
            collection, model = _MODELS[event.kind]
            _set(getattr(self, collection), record, await s.get(collection, record), model)
        elif event.kind == Kind.BUILTINS:
            if collection == "prompts":
                _set(self.prompts, record, await s.get("prompts", record), _prompt)
            else:
                _set(self.resources, record, await s.get("resources", record), _resource)
        elif collection in ("oauth_clients", "oauth_tokens"):
            _set(getattr(self, collection), record, await s.get(collection, record), dict)
        elif collection in ("user_configs", "extra"):
            doc = await s.get(collection, record)
            _set(getattr(self, collection), record, doc, lambda d: d.get("value"))

    def _index_keys(self) -> None:
        self.keys_by_hash = {k.token_hash: k for k in self.keys.values() if k.token_hash}

    # ------------------------------------------------------------------ servers

    async def put_server(self, name: str, config: ServerConfig, *, create: bool = False) -> None:
        created = self.server_created.get(name) or time.time()
        doc = {"config": config.wire(exclude_unset=True), "createdAt": created}
        await self.store.put("servers", name, doc, create=create)
        self.servers[name] = config
        self.server_created[name] = created
        self.bus.publish(Kind.SERVERS, name, _created(create))

    async def delete_server(self, name: str) -> bool:
        removed = await self.store.delete("servers", name)
        self.servers.pop(name, None)
        self.server_created.pop(name, None)
        if removed:
            self.bus.publish(Kind.SERVERS, name, Change.DELETE)
        return removed

    # ------------------------------------------------------------------ others

    async def put_user(self, user: User, *, create: bool = False) -> None:
        await self.store.put("users", user.username, user.wire(), create=create)
        self.users[user.username] = user
        self.bus.publish(Kind.USERS, user.username, _created(create))

    async def delete_user(self, username: str) -> bool:
        removed = await self.store.delete("users", username)
        self.users.pop(username, None)
        self.bus.publish(Kind.USERS, username, Change.DELETE)
        return removed

    async def put_group(self, group: Group, *, create: bool = False) -> None:
        await self.store.put("groups", group.id, group.wire(), create=create)
        self.groups[group.id] = group
        self.bus.publish(Kind.GROUPS, group.id, _created(create))

    async def delete_group(self, group_id: str) -> bool:
        removed = await self.store.delete("groups", group_id)
        self.groups.pop(group_id, None)
        self.bus.publish(Kind.GROUPS, group_id, Change.DELETE)
        return removed

    async def put_key(self, key: BearerKey, *, create: bool = False) -> None:
        key = secure_key(key)
        await self.store.put("bearer_keys", key.id, key.wire(), create=create)
        self.keys[key.id] = key
        self._index_keys()
        self.bus.publish(Kind.KEYS, key.id, _created(create))

    async def delete_key(self, key_id: str) -> bool:
        removed = await self.store.delete("bearer_keys", key_id)
        self.keys.pop(key_id, None)
        self._index_keys()
        self.bus.publish(Kind.KEYS, key_id, Change.DELETE)
        return removed

    async def put_prompt(self, prompt: BuiltinPrompt, *, create: bool = False) -> None:
        await self.store.put("prompts", prompt.id, prompt.wire(), create=create)
        self.prompts[prompt.id] = prompt
        self.bus.publish(Kind.BUILTINS, prompt.id, _created(create), kind_of="prompt")

    async def delete_prompt(self, prompt_id: str) -> bool:
        removed = await self.store.delete("prompts", prompt_id)
        self.prompts.pop(prompt_id, None)
        self.bus.publish(Kind.BUILTINS, prompt_id, Change.DELETE, kind_of="prompt")
        return removed

    async def put_resource(self, resource: BuiltinResource, *, create: bool = False) -> None:
        await self.store.put("resources", resource.id, resource.wire(), create=create)
        self.resources[resource.id] = resource
        self.bus.publish(Kind.BUILTINS, resource.id, _created(create), kind_of="resource")

    async def delete_resource(self, resource_id: str) -> bool:
        removed = await self.store.delete("resources", resource_id)
        self.resources.pop(resource_id, None)
        self.bus.publish(Kind.BUILTINS, resource_id, Change.DELETE, kind_of="resource")
        return removed

    async def put_system(self, system: SystemConfig) -> None:
        await self.store.put("system", "config", system.wire())
        self.system = system
        self.bus.publish(Kind.SYSTEM)

    async def put_oauth_client(self, client_id: str, doc: dict[str, Any]) -> None:
        """Store an OAuth client record (secrets already hashed by the caller)."""
        await self.store.put("oauth_clients", client_id, doc)
        self.oauth_clients[client_id] = doc

    async def delete_oauth_client(self, client_id: str) -> bool:
        removed = await self.store.delete("oauth_clients", client_id)
        self.oauth_clients.pop(client_id, None)
        return removed

    async def put_oauth_token(self, key: str, doc: dict[str, Any]) -> None:
        """Store an issued token pair under the hash of its access token."""
        await self.store.put("oauth_tokens", key, doc)
        self.oauth_tokens[key] = doc

    async def delete_oauth_token(self, key: str) -> bool:
        removed = await self.store.delete("oauth_tokens", key)
        self.oauth_tokens.pop(key, None)
        return removed

    async def put_tool_pins(self, server: str, doc: dict[str, Any]) -> None:
        """Store the pinned tool definitions of one server (a new document)."""
        await self.store.put("tool_pins", server, doc)
        self.tool_pins[server] = doc

    async def delete_tool_pins(self, server: str) -> bool:
        removed = await self.store.delete("tool_pins", server)
        self.tool_pins.pop(server, None)
        return removed

    def group(self, ref: str) -> Group | None:
        """A group by id, or by name when the routing config allows names."""
        found = self.groups.get(ref)
        if found or not self.system.routing.enable_group_name_route:
            return found
        return next((g for g in self.groups.values() if g.name == ref), None)

    # ------------------------------------------------------------------ import/export

    async def import_settings(self, settings: McpSettings, *, seed: bool = False) -> bool:
        """Replace everything with an ``mcp_settings.json`` snapshot, in one transaction.

        With ``seed`` (the first start), only into a store without users, servers or groups,
        checked atomically: False when another instance seeded it first (then loaded)."""
        empty_first = ("users", "servers", "groups") if seed else ()
        written = await self.store.replace_all(
            settings_snapshot(settings), only_if_empty=empty_first
        )
        await self.load()
        self.bus.publish(Kind.IMPORTED, action=Change.REPLACE)
        return written

    async def reload(self) -> None:
        """Read everything again after the store changed under the hub (an edited settings
        file), and tell every subscriber as an import would."""
        await self.load()
        self.bus.publish(Kind.IMPORTED, action=Change.REPLACE)

    def export_settings(self) -> dict[str, Any]:
        """The whole configuration as an ``mcp_settings.json`` document (hashes, not secrets)."""
        doc: dict[str, Any] = {
            "mcpServers": {n: c.wire(exclude_unset=True) for n, c in self.servers.items()},
            "users": [u.wire(exclude_unset=True) for u in self.users.values()],
            "groups": [g.wire(exclude_unset=True) for g in self.groups.values()],
            "systemConfig": self.system.wire(exclude_unset=True),
            "bearerKeys": [k.wire(exclude_unset=True) for k in self.keys.values()],
            "prompts": [p.wire(exclude_unset=True) for p in self.prompts.values()],
            "resources": [r.wire(exclude_unset=True) for r in self.resources.values()],
            "oauthClients": list(self.oauth_clients.values()),
            "oauthTokens": list(self.oauth_tokens.values()),
            "userConfigs": self.user_configs,
        }
        if self.tool_pins:
            doc["toolPins"] = dict(self.tool_pins)
        doc.update(self.extra)
        return doc


_MODELS: dict[str, tuple[str, Any]] = {
    Kind.GROUPS: ("groups", Group.model_validate),
    Kind.USERS: ("users", User.model_validate),
}
"""Kinds whose live dict is named after their collection and holds one model per key."""


_prompt = BuiltinPrompt.model_validate
_resource = BuiltinResource.model_validate


def _set(target: dict[str, Any], key: str, doc: dict[str, Any] | None, decode: Any) -> None:
    """Store ``decode(doc)`` under ``key``, or drop the key when the document is gone."""
    if doc is None:
        target.pop(key, None)
    else:
        target[key] = decode(doc)


def _created(create: bool) -> Change:
    return Change.CREATE if create else Change.UPDATE
