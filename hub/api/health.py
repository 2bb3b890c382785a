"""``GET /health`` (public, never under BASE_PATH) and ``GET /config``."""

from __future__ import annotations

import time

from hub.api.base import APIHandler
from hub.auth.principal import Policy
from hub.upstream.state import Status


class HealthHandler(APIHandler):
    """Liveness plus a count of connected upstreams; never touches the store."""

    policy = Policy.PUBLIC

    async def get(self) -> None:
        enabled = [n for n, c in self.hub.config.servers.items() if c.enabled]
        connected = sum(
            1 for n in enabled if self.hub.upstreams.state(n).status is Status.CONNECTED
        )
        status = "healthy" if connected == len(enabled) else "degraded"
        self.send_json(
            {
                "status": status,
                "message": "All servers connected"
                if status == "healthy"
                else "Some enabled servers are not connected",
                "servers": {
                    "total": len(self.hub.config.servers),
                    "connected": connected,
                    "disconnected": len(enabled) - connected,
                },
                "version": self.hub.version,
                "timestamp": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            }
        )


class RuntimeConfigHandler(APIHandler):
    """What the dashboard needs before login: base path, version, name."""

    policy = Policy.PUBLIC

    async def get(self) -> None:
        self.reply({"basePath": self.hub.base_path, "version": self.hub.version, "name": "mcphub"})


default_handlers = [
    (r"/health", HealthHandler),
    (r"/config", RuntimeConfigHandler),
]
