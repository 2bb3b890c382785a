"""Per-item switches on a server: toggle a tool, prompt or resource, override or reset its
description.

Keys are MCPHub's: namespaced names (``server{sep}tool``) for tools and prompts, URIs for
resources (URL-encoded in the path). The rules are in ``hub.services.server_items``.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, StrictBool, StrictStr

from hub.api.api_spec import Op
from hub.api.base import APIHandler
from hub.auth.principal import Policy
from hub.services import server_items
from hub.services.server_items import LABELS


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


class ItemHandler(APIHandler):
    """Base: the path names the server and the item; ``kind`` says which list it is in."""

    policy = Policy.OWNER
    kind = "tools"

    @staticmethod
    def ref(path: dict[str, str]) -> str:
        """The item from the path (its group is named toolName, promptName or resourceUri)."""
        return next(iter(path.values()))


class ItemToggleHandler(ItemHandler):
    async def post(self, name: str, **path: str) -> None:
        body = self.body_as(ToggleBody)
        change = await server_items.set_item_enabled(
            self.hub, self.caller, name, self.kind, self.ref(path), body.enabled
        )
        state = "enabled" if body.enabled else "disabled"
        self.reply(
            {"name": change.key, "enabled": body.enabled, "description": change.description},
            message=f"{LABELS[self.kind]} {change.key} {state} successfully",
        )


class ItemDescriptionHandler(ItemHandler):
    async def put(self, name: str, **path: str) -> None:
        body = self.body_as(DescriptionBody)
        change = await server_items.set_item_description(
            self.hub, self.caller, name, self.kind, self.ref(path), body.description
        )
        self.reply(
            {
                "name": change.key,
                "enabled": change.override.enabled is not False,
                "description": body.description,
            },
            message=f"{LABELS[self.kind]} description updated successfully",
        )

    async def delete(self, name: str, **path: str) -> None:
        change = await server_items.reset_item_description(
            self.hub, self.caller, name, self.kind, self.ref(path)
        )
        self.reply(
            {"name": change.key, "description": change.description},
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
