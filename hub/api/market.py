"""``/api/market``: the local market (every ``market`` catalog merged) and one-step install.

MCPHub's routes and ``MarketServer`` shape; ``POST /api/market/servers/{name}/install`` is
ours (MCPHub's dashboard builds the config itself): the server is created through the same
service as ``POST /api/servers``.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel

from hub.api.api_spec import Op, Param
from hub.api.base import APIHandler
from hub.auth.principal import Policy
from hub.services import catalogs
from hub.services.catalogs import InstallBody


class EntriesReply(BaseModel):
    success: Literal[True]
    data: list[dict[str, Any]]


class EntryReply(BaseModel):
    success: Literal[True]
    data: dict[str, Any]


class LabelsReply(BaseModel):
    success: Literal[True]
    data: list[str]


class InstalledServer(BaseModel):
    name: str
    config: dict[str, Any]


class InstallReply(BaseModel):
    success: Literal[True]
    message: str
    data: InstalledServer


class MarketHandler(APIHandler):
    policy = Policy.AUTHENTICATED


class ServersHandler(MarketHandler):
    docs = {"GET": Op("Every market server (official ones first)", response=EntriesReply)}

    async def get(self) -> None:
        self.reply(await catalogs.market_entries(self.hub))


class SearchHandler(MarketHandler):
    docs = {
        "GET": Op(
            "Market servers matching any term of the query",
            response=EntriesReply,
            query=(Param("query", {"type": "string"}, "Whitespace-separated terms"),),
        )
    }

    async def get(self) -> None:
        query = self.get_query_argument("query", "") or ""
        self.reply(await catalogs.market_search(self.hub, query))


class ServerHandler(MarketHandler):
    docs = {"GET": Op("One market server", response=EntryReply)}

    async def get(self, name: str) -> None:
        _, entry = await catalogs.market_entry(self.hub, name)
        self.reply(entry)


class InstallHandler(APIHandler):
    policy = Policy.OWNER
    docs = {
        "POST": Op(
            "Install a market server: created like POST /api/servers, owned by the caller",
            body=InstallBody,
            response=InstallReply,
            errors=(403, 409),
        )
    }

    async def post(self, name: str) -> None:
        body = self.body_as(InstallBody)
        installed = await catalogs.install_market(self.hub, self.caller, name, body)
        self.reply(installed, "Server installed successfully")


class LabelsHandler(MarketHandler):
    field = "categories"
    docs = {"GET": Op("Sorted, unique labels of every market server", response=LabelsReply)}

    async def get(self) -> None:
        self.reply(await catalogs.market_labels(self.hub, self.field))


class LabelHandler(MarketHandler):
    field = "categories"
    docs = {"GET": Op("Market servers carrying this label exactly", response=EntriesReply)}

    async def get(self, label: str) -> None:
        self.reply(await catalogs.market_with_label(self.hub, self.field, label))


class TagsHandler(LabelsHandler):
    field = "tags"


class TagHandler(LabelHandler):
    field = "tags"


class CatalogsHandler(APIHandler):
    """Which catalogs are registered (``register_catalogs``) and which routes list them."""

    policy = Policy.AUTHENTICATED
    docs = {"GET": Op("The registered catalogs: name, family, title", response=EntriesReply)}

    async def get(self) -> None:
        self.reply(catalogs.describe(self.hub))


NAME = r"(?P<name>[^/]+)"
LABEL = r"(?P<label>[^/]+)"

default_handlers = [
    (r"/api/catalogs", CatalogsHandler),
    (r"/api/market/servers", ServersHandler),
    (r"/api/market/servers/search", SearchHandler),
    (rf"/api/market/servers/{NAME}", ServerHandler),
    (rf"/api/market/servers/{NAME}/install", InstallHandler),
    (r"/api/market/categories", LabelsHandler),
    (rf"/api/market/categories/{LABEL}", LabelHandler),
    (r"/api/market/tags", TagsHandler),
    (rf"/api/market/tags/{LABEL}", TagHandler),
]
