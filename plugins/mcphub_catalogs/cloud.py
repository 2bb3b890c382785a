"""The ``cloud`` catalog: MCPHub's cloud market over the MCPRouter API.

Settings come from ``systemConfig.mcpRouter`` (``apiKey``, ``referer``, ``title``,
``baseUrl``), with MCPHub's environment fallbacks (``MCPROUTER_API_KEY``,
``MCPROUTER_REFERER``, ``MCPROUTER_TITLE``, ``MCPROUTER_API_BASE``) for values left at
their defaults. Every call is ``POST <baseUrl>/<op>`` with a JSON body and MCPHub's
headers; the answer is an envelope ``{code, message, data}`` where ``code != 0`` fails.
"""

from __future__ import annotations

import os
from typing import Any

from hub.plugin_api import (
    BadRequest,
    Entry,
    Hub,
    Registry,
    ServerCatalog,
    SystemConfig,
    UpstreamError,
    check_url,
    fetch_json,
    hookimpl,
)

NO_KEY = "MCPROUTER_API_KEY_NOT_CONFIGURED"


def router_settings(system: SystemConfig) -> dict[str, str]:
    """apiKey, referer, title and baseUrl, each from systemConfig or its fallback."""
    section = system.mcp_router
    defaults = type(section)()

    def pick(value: str, default: str, env: str) -> str:
        if value and value != default:
            return value
        return os.environ.get(env) or value

    return {
        "apiKey": pick(section.api_key, defaults.api_key, "MCPROUTER_API_KEY"),
        "referer": pick(section.referer, defaults.referer, "MCPROUTER_REFERER"),
        "title": pick(section.title, defaults.title, "MCPROUTER_TITLE"),
        "baseUrl": pick(section.base_url, defaults.base_url, "MCPROUTER_API_BASE"),
    }


class CloudCatalog(ServerCatalog):
    """Servers, tools and tool calls from MCPRouter."""

    family = "cloud"
    title = "MCPRouter cloud"

    async def _call(self, hub: Hub, op: str, body: dict[str, Any], need_key: bool) -> Any:
        settings = router_settings(hub.config.system)
        if need_key and not settings["apiKey"]:
            raise BadRequest(
                NO_KEY,
                setting="systemConfig.mcpRouter.apiKey",
                detail="Set systemConfig.mcpRouter.apiKey (or MCPROUTER_API_KEY) to use "
                "MCPRouter's tools",
            )
        url = check_url(settings["baseUrl"].rstrip("/") + op, "systemConfig.mcpRouter.baseUrl")
        headers = {
            "HTTP-Referer": settings["referer"],
            "X-Title": settings["title"],
            "Content-Type": "application/json",
        }
        if settings["apiKey"]:
            # MCPHub sends "Bearer " without a key; a header value may not end in a space.
            headers["Authorization"] = f"Bearer {settings['apiKey']}"
        result = await fetch_json(url, method="POST", headers=headers, body=body)
        reply = result.body if isinstance(result.body, dict) else {}
        if result.status >= 400 or reply.get("code", 0) != 0:
            message = reply.get("message") or f"MCPRouter answered HTTP {result.status}"
            raise UpstreamError(str(message))
        return reply.get("data")

    def _headers(self, hub: Hub) -> dict[str, str]:
        settings = router_settings(hub.config.system)
        return {
            "Authorization": f"Bearer {settings['apiKey']}",
            "HTTP-Referer": settings["referer"],
            "X-Title": settings["title"],
        }

    async def entries(self, hub: Hub) -> list[Entry]:
        data = await self._call(hub, "/list-servers", {}, need_key=False)
        servers = data.get("servers") if isinstance(data, dict) else None
        return [s for s in servers or [] if isinstance(s, dict)]

    async def tools(self, hub: Hub, name: str) -> list[dict[str, Any]]:
        data = await self._call(hub, "/list-tools", {"server": name}, need_key=True)
        tools = data.get("tools") if isinstance(data, dict) else None
        return [t for t in tools or [] if isinstance(t, dict)]

    async def call_tool(
        self, hub: Hub, name: str, tool: str, arguments: dict[str, Any]
    ) -> dict[str, Any]:
        body = {"server": name, "name": tool, "arguments": arguments}
        data = await self._call(hub, "/call-tool", body, need_key=True)
        return data if isinstance(data, dict) else {"content": [], "isError": False}

    async def show(self, hub: Hub, name: str, version: str | None = None) -> Entry | None:
        for entry in await self.entries(hub):
            if name in (entry.get("name"), entry.get("config_name"), entry.get("server_key")):
                return entry
        return None

    async def server_config(
        self, hub: Hub, entry: Entry, installation: str | None, arguments: dict[str, Any]
    ) -> dict[str, Any]:
        """A streamable-HTTP server at the router's ``server_url`` for this server
        (``/get-server``), authenticated with the router's API key."""
        key = str(entry.get("server_key") or entry.get("config_name") or entry.get("name"))
        detail = await self._call(hub, "/get-server", {"server": key}, need_key=True)
        url = detail.get("server_url") if isinstance(detail, dict) else None
        url = url or entry.get("server_url")
        if not isinstance(url, str) or not url:
            raise UpstreamError("MCPRouter gave no server_url for this server")
        config: dict[str, Any] = {
            "type": "streamable-http",
            "url": url,
            "headers": self._headers(hub),
        }
        if entry.get("description"):
            config["description"] = str(entry["description"])[:500]
        return config


@hookimpl
def register_catalogs(register: Registry[ServerCatalog]) -> None:
    register("cloud", CloudCatalog())
