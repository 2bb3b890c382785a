"""``POST /api/smart-routing/reindex`` (admin): rebuild the ``$smart`` tool index."""

from __future__ import annotations

from pydantic import BaseModel

from hub.api.api_spec import Op
from hub.api.base import APIHandler
from hub.auth.principal import Policy
from hub.services import smart_routing


class ReindexResult(BaseModel):
    """The provider now serving searches and how many tools its index holds."""

    provider: str
    tools: int


class ReindexHandler(APIHandler):
    policy = Policy.ADMIN
    docs = {
        "POST": Op(
            "Rebuild the smart-routing tool index from the live catalog", response=ReindexResult
        )
    }

    async def post(self) -> None:
        result = await smart_routing.reindex(self.hub, self.caller)
        self.reply(result, message="Smart routing index rebuilt")


default_handlers = [(r"/api/smart-routing/reindex", ReindexHandler)]
