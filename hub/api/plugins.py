"""``GET /api/plugins``: what is loaded, with versions and hooks."""

from __future__ import annotations

from hub.api.base import APIHandler
from hub.auth.principal import Policy


class PluginsHandler(APIHandler):
    policy = Policy.ADMIN

    async def get(self) -> None:
        self.reply([p.as_dict() for p in self.hub.plugins.info()])


default_handlers = [(r"/api/plugins", PluginsHandler)]
