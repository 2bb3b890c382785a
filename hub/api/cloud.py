"""``/api/cloud``: MCPHub's cloud market over the MCPRouter API (the ``cloud`` catalog).

Without an API key, listing tools and calling them answer 400
``MCPROUTER_API_KEY_NOT_CONFIGURED`` naming the setting (MCPHub: 500); router failures are
502 with the router's message.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from hub.api.api_spec import Op, Param
from hub.api.base import APIHandler
from hub.api.market import EntriesReply, EntryReply, InstallReply, LabelsReply
from hub.auth.principal import Policy
from hub.services import catalogs, cloud
from hub.services.catalogs import InstallBody


class ToolsReply(BaseModel):
    success: Literal[True]
    data: list[dict[str, Any]]


class CallBody(BaseModel):
    arguments: dict[str, Any] = Field(default_factory=dict)


class CallReply(BaseModel):
    success: Literal[True]
    data: dict[str, Any]


class CloudHandler(APIHandler):
    policy = Policy.AUTHENTICATED

    @property
    def catalog_name(self) -> str | None:
        return self.get_query_argument("catalog", None) or None


class ServersHandler(CloudHandler):
    docs = {"GET": Op("Every cloud server", response=EntriesReply, errors=(404, 502))}

    async def get(self) -> None:
        self.reply(await cloud.entries(self.hub, self.catalog_name))


class SearchHandler(CloudHandler):
    docs = {
        "GET": Op(
            "Cloud servers matching any term (name, title, description, content, author)",
            response=EntriesReply,
            errors=(404, 502),
            query=(Param("query", {"type": "string"}, "Required"),),
        )
    }

    async def get(self) -> None:
        query = self.get_query_argument("query", "") or ""
        self.reply(await cloud.search(self.hub, query, self.catalog_name))


class ServerHandler(CloudHandler):
    docs = {"GET": Op("One cloud server, with its tools", response=EntryReply, errors=(404, 502))}

    async def get(self, name: str) -> None:
        self.reply(await cloud.show(self.hub, name, self.catalog_name))


class LabelsHandler(CloudHandler):
    field = "categories"
    docs = {
        "GET": Op(
            "Labels found in the cloud servers' content", response=LabelsReply, errors=(404, 502)
        )
    }

    async def get(self) -> None:
        self.reply(await cloud.labels(self.hub, self.field, self.catalog_name))


class TagsHandler(LabelsHandler):
    field = "tags"


class LabelHandler(CloudHandler):
    docs = {
        "GET": Op(
            "Cloud servers whose content mentions the label",
            response=EntriesReply,
            errors=(404, 502),
        )
    }

    async def get(self, label: str) -> None:
        self.reply(await cloud.with_label(self.hub, label, self.catalog_name))


class ToolsHandler(CloudHandler):
    docs = {"GET": Op("The tools of a cloud server", response=ToolsReply, errors=(404, 502))}

    async def get(self, name: str) -> None:
        self.reply(await cloud.tools(self.hub, name, self.catalog_name))


class CallHandler(CloudHandler):
    docs = {
        "POST": Op(
            "Call a cloud server's tool through MCPRouter",
            body=CallBody,
            response=CallReply,
            errors=(404, 502),
        )
    }

    async def post(self, name: str, tool: str) -> None:
        body = self.json_body()
        arguments = body.get("arguments") if isinstance(body, dict) else None
        self.reply(await cloud.call_tool(self.hub, name, tool, arguments, self.catalog_name))


class InstallHandler(CloudHandler):
    policy = Policy.OWNER
    docs = {
        "POST": Op(
            "Install a cloud server as a streamable-HTTP server through MCPRouter",
            body=InstallBody,
            response=InstallReply,
            errors=(403, 404, 409, 502),
        )
    }

    async def post(self, name: str) -> None:
        body = self.body_as(InstallBody)
        installed = await catalogs.install_cloud(
            self.hub, self.caller, name, body, self.catalog_name
        )
        self.reply(installed, "Server installed successfully")


NAME = r"(?P<name>[^/]+)"
LABEL = r"(?P<label>[^/]+)"

default_handlers = [
    (r"/api/cloud/servers", ServersHandler),
    (r"/api/cloud/servers/search", SearchHandler),
    (rf"/api/cloud/servers/{NAME}", ServerHandler),
    (rf"/api/cloud/servers/{NAME}/tools", ToolsHandler),
    (rf"/api/cloud/servers/{NAME}/install", InstallHandler),
    (rf"/api/cloud/servers/{NAME}/tools/(?P<tool>[^/]+)/call", CallHandler),
    (r"/api/cloud/categories", LabelsHandler),
    (rf"/api/cloud/categories/{LABEL}", LabelHandler),
    (r"/api/cloud/tags", TagsHandler),
    (rf"/api/cloud/tags/{LABEL}", LabelHandler),
]
