"""Approving tool definitions: ``POST /api/servers/:name/tools/:tool/approve`` and
``POST /api/servers/:name/tools/approve`` (every tool). Admin logins only; the rules are in
``hub.services.tool_pins``."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel

from hub.api.api_spec import Op
from hub.api.base import APIHandler
from hub.auth.principal import Policy
from hub.services import tool_pins


class Approved(BaseModel):
    server: str
    approved: list[str]
    """Tools pinned anew by this request (namespaced)."""
    toolChanges: list[str]
    """Tools still changed since approved, after this request (namespaced)."""


class ApproveReply(BaseModel):
    success: Literal[True]
    message: str
    data: Approved


class ApproveToolHandler(APIHandler):
    policy = Policy.ADMIN
    docs = {
        "POST": Op(
            "Approve a tool's current definition (pin it; a held tool is served again)",
            response=ApproveReply,
        )
    }

    async def post(self, name: str, toolName: str) -> None:
        data = await tool_pins.approve_tool(self.hub, self.caller, name, toolName)
        self.reply(data, message=f"Tool {toolName} approved")


class ApproveAllHandler(APIHandler):
    policy = Policy.ADMIN
    docs = {
        "POST": Op(
            "Approve the current definitions of every tool of a server", response=ApproveReply
        )
    }

    async def post(self, name: str) -> None:
        data = await tool_pins.approve_all(self.hub, self.caller, name)
        self.reply(data, message=f"{len(data['approved'])} tool definitions approved")


default_handlers = [
    (r"/api/servers/(?P<name>[^/]+)/tools/approve", ApproveAllHandler),
    (r"/api/servers/(?P<name>[^/]+)/tools/(?P<toolName>[^/]+)/approve", ApproveToolHandler),
]
