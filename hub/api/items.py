"""Per-item switches on a server: toggle a tool, prompt or resource, override or reset its
description.

Keys are MCPHub's: namespaced names (``server{sep}tool``) for tools and prompts, URIs for
resources (URL-encoded in the path). The stored override lives in the server config, so the
change is written like any config change and the bus tells the catalog and MCP sessions.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, StrictBool, StrictStr

from hub.api.api_spec import Op
from hub.api.base import APIHandler
from hub.auth.access import server_for
from hub.auth.principal import Policy
from hub.config.models import ItemOverride, ServerConfig
from hub.errors import NotFound
from hub.services.servers import server_lock

if TYPE_CHECKING:
    from hub.app import Hub

LABELS = {"tools": "Tool", "prompts": "Prompt", "resources": "Resource"}


class ToggleBody(BaseModel):
    enabled: StrictBool


class DescriptionBody(BaseModel):
    description: StrictStr


class ItemState(BaseModel):
    name: str
    enabled: bool
    description: str | None = None


class ItemReply(BaseModel):
    success: Literal[True]
    message: str
    data: ItemState


class ResetData(BaseModel):
    name: str
    description: str | None = None


class ResetReply(BaseModel):
    success: Literal[True]
    message: str
    data: ResetData


def resolve(hub: Hub, server: str, config: ServerConfig, kind: str, ref: str) -> tuple[str, Any]:
    """The override key for ``ref`` and the upstream item (None if only an override exists).

    Tools and prompts are found by namespaced name, or by the upstream's own name; an
    unknown item is a 404 whether or not the upstream is connected.
    """
    state = hub.upstreams.state(server)
    if kind == "resources":
        for item in state.resources:
            if item.get("uri") == ref:
                return ref, item
        for item in state.resource_templates:
            if item.get("uriTemplate") == ref:
                return ref, item
    else:
        sep = hub.config.system.name_separator
        items = state.tools if kind == "tools" else state.prompts
        by_full = {f"{server}{sep}{i.get('name', '')}": i for i in items}
        if ref in by_full:
            return ref, by_full[ref]
        for item in items:
            if item.get("name") == ref:
                return f"{server}{sep}{ref}", item
    if ref in (getattr(config, kind) or {}):
        return ref, None
    raise NotFound(f"{LABELS[kind]} '{ref}' not found on server '{server}'")


class ItemHandler(APIHandler):
    """Base: find the server (404 if the caller may not see it) and the item, then write."""

    policy = Policy.OWNER
    kind = "tools"

    @staticmethod
    def ref(path: dict[str, str]) -> str:
        """The item from the path (its group is named toolName, promptName or resourceUri)."""
        return next(iter(path.values()))

    async def _update(self, name: str, ref: str, change: Any) -> tuple[str, Any, ItemOverride]:
        live = self.hub.config
        async with server_lock(self.hub):
            config = server_for(live, self.caller, name)
            key, item = resolve(self.hub, name, config, self.kind, ref)
            overrides = dict(getattr(config, self.kind) or {})
            current = overrides.get(key) or ItemOverride()
            fields = {k: v for k, v in current.wire().items() if k in ("enabled", "description")}
            updated = change(fields)
            if updated:
                overrides[key] = ItemOverride.model_validate(updated)
            else:
                overrides.pop(key, None)
            await live.put_server(name, config.model_copy(update={self.kind: overrides}))
        return key, item, overrides.get(key) or ItemOverride()


class ItemToggleHandler(ItemHandler):
    async def post(self, name: str, **path: str) -> None:
        item = self.ref(path)
        body = self.body_as(ToggleBody)
        key, upstream, override = await self._update(
            name, item, lambda f: {**f, "enabled": body.enabled}
        )
        state = "enabled" if body.enabled else "disabled"
        description = override.description
        if description is None:
            description = (upstream or {}).get("description")
        self.reply(
            {"name": key, "enabled": body.enabled, "description": description},
            message=f"{LABELS[self.kind]} {key} {state} successfully",
        )


class ItemDescriptionHandler(ItemHandler):
    async def put(self, name: str, **path: str) -> None:
        item = self.ref(path)
        body = self.body_as(DescriptionBody)
        key, _, override = await self._update(
            name, item, lambda f: {**f, "description": body.description}
        )
        self.reply(
            {
                "name": key,
                "enabled": override.enabled is not False,
                "description": body.description,
            },
            message=f"{LABELS[self.kind]} description updated successfully",
        )

    async def delete(self, name: str, **path: str) -> None:
        item = self.ref(path)

        def reset(fields: dict[str, Any]) -> dict[str, Any]:
            # Keep a disable flag; drop the entry when nothing else is left.
            return {"enabled": False} if fields.get("enabled") is False else {}

        key, upstream, _ = await self._update(name, item, reset)
        self.reply(
            {"name": key, "description": (upstream or {}).get("description")},
            message=f"{LABELS[self.kind]} description reset to the upstream's",
        )


def _routes() -> list[tuple[str, type[APIHandler]]]:
    routes: list[tuple[str, type[APIHandler]]] = []
    params = {"tools": "toolName", "prompts": "promptName", "resources": "resourceUri"}
    for kind, label in LABELS.items():
        what = label.lower()
        toggle = type(
            f"{label}ToggleHandler",
            (ItemToggleHandler,),
            {
                "kind": kind,
                "docs": {
                    "POST": Op(
                        f"Enable or disable a {what} of a server",
                        body=ToggleBody,
                        response=ItemReply,
                    )
                },
            },
        )
        describe = type(
            f"{label}DescriptionHandler",
            (ItemDescriptionHandler,),
            {
                "kind": kind,
                "docs": {
                    "PUT": Op(
                        f"Override a {what}'s description",
                        body=DescriptionBody,
                        response=ItemReply,
                    ),
                    "DELETE": Op(
                        f"Reset a {what}'s description; the answer carries the upstream's",
                        response=ResetReply,
                    ),
                },
            },
        )
        base = rf"/api/servers/(?P<name>[^/]+)/{kind}/(?P<{params[kind]}>[^/]+)"
        routes.append((base + "/toggle", toggle))
        routes.append((base + "/description", describe))
    return routes


default_handlers = _routes()
