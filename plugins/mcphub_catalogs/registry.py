"""The ``registry`` catalog: the official MCP registry's v0.1 API at
``systemConfig.registry.baseUrl`` (the version path included), read on request."""

from __future__ import annotations

import urllib.parse
from typing import Any

from hub.plugin_api import (
    Entry,
    FetchResult,
    Hub,
    PageQuery,
    Registry,
    ServerCatalog,
    UpstreamError,
    check_url,
    fetch_json,
    hookimpl,
)
from mcphub_catalogs import registry_format

ACCEPT = "application/json, application/problem+json"


def _quoted(text: str) -> str:
    return urllib.parse.quote(text, safe="")


class RegistryCatalog(ServerCatalog):
    """Pages, versions and installs from a v0.1 registry."""

    family = "registry"
    title = "Official MCP registry"

    async def _get(self, hub: Hub, path: str, params: dict[str, str] | None = None) -> FetchResult:
        base = hub.config.system.registry.base_url.rstrip("/")
        url = check_url(base + path, "systemConfig.registry.baseUrl")
        return await fetch_json(url, headers={"Accept": ACCEPT}, params=params)

    @staticmethod
    def _ok(result: FetchResult) -> Any:
        if result.status == 200:
            return result.body
        detail = result.body.get("detail") if isinstance(result.body, dict) else None
        raise UpstreamError(f"The registry answered HTTP {result.status}: {detail or 'error'}")

    async def page(self, hub: Hub, query: PageQuery) -> Any:
        params = {"cursor": query.cursor, "search": query.search}
        if query.limit:
            params["limit"] = str(query.limit)
        result = await self._get(hub, "/servers", {k: v for k, v in params.items() if v})
        return self._ok(result)

    async def versions(self, hub: Hub, name: str) -> Any | None:
        result = await self._get(hub, f"/servers/{_quoted(name)}/versions")
        return None if result.status == 404 else self._ok(result)

    async def show(self, hub: Hub, name: str, version: str | None = None) -> Entry | None:
        path = f"/servers/{_quoted(name)}/versions/{_quoted(version or 'latest')}"
        result = await self._get(hub, path)
        if result.status == 404:
            return None
        body = self._ok(result)
        if not isinstance(body, dict):
            raise UpstreamError("The registry's answer is not a server")
        return body

    async def server_config(
        self, hub: Hub, entry: Entry, installation: str | None, arguments: dict[str, Any]
    ) -> dict[str, Any]:
        inner = entry.get("server")
        detail: dict[str, Any] = inner if isinstance(inner, dict) else entry
        return registry_format.server_config(detail, installation, arguments)


@hookimpl
def register_catalogs(register: Registry[ServerCatalog]) -> None:
    register("registry", RegistryCatalog())
