"""``/api/registry``: the official MCP registry (v0.1) passed through, and install.

MCPHub's three read routes (names travel in the query because they contain ``/``); the
registry's answer is the ``data`` unchanged, cursor paging included. ``POST
/api/registry/servers/install`` is ours: a package (npm, pypi, oci) or a remote becomes a
server created like ``POST /api/servers``.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel

from hub.api.api_spec import Op, Param
from hub.api.base import APIHandler
from hub.api.market import InstallReply
from hub.auth.principal import Policy
from hub.catalogs.contract import PageQuery
from hub.services import catalogs
from hub.services.catalogs import RegistryInstallBody

CATALOG = Param("catalog", {"type": "string"}, "A registry catalog other than 'registry'")


class RawReply(BaseModel):
    success: Literal[True]
    data: Any


class RegistryHandler(APIHandler):
    policy = Policy.AUTHENTICATED

    @property
    def catalog_name(self) -> str | None:
        return self.get_query_argument("catalog", None) or None


class ServersHandler(RegistryHandler):
    docs = {
        "GET": Op(
            "A page of registry servers (the registry's JSON, nextCursor included)",
            response=RawReply,
            errors=(404, 502),
            query=(
                Param("cursor", {"type": "string"}, "metadata.nextCursor of the last page"),
                Param("limit", {"type": "string"}, "Page size (passed on when positive)"),
                Param("search", {"type": "string"}, "Substring of the server name"),
                CATALOG,
            ),
        )
    }

    async def get(self) -> None:
        raw_limit = self.get_query_argument("limit", "") or ""
        limit = int(raw_limit) if raw_limit.isdigit() and int(raw_limit) > 0 else None
        query = PageQuery(
            search=self.get_query_argument("search", None) or None,
            cursor=self.get_query_argument("cursor", None) or None,
            limit=limit,
        )
        self.reply(await catalogs.registry_page(self.hub, query, self.catalog_name))


class VersionsHandler(RegistryHandler):
    docs = {
        "GET": Op(
            "Every version of one registry server",
            response=RawReply,
            errors=(404, 502),
            query=(Param("serverName", {"type": "string"}, "e.g. io.github.x/weather"), CATALOG),
        )
    }

    async def get(self) -> None:
        name = self.get_query_argument("serverName", "") or ""
        self.reply(await catalogs.registry_versions(self.hub, name, self.catalog_name))


class VersionHandler(RegistryHandler):
    docs = {
        "GET": Op(
            "One version of a registry server ('latest' or exact)",
            response=RawReply,
            errors=(404, 502),
            query=(
                Param("serverName", {"type": "string"}),
                Param("version", {"type": "string"}),
                CATALOG,
            ),
        )
    }

    async def get(self) -> None:
        name = self.get_query_argument("serverName", "") or ""
        version = self.get_query_argument("version", "") or ""
        self.reply(await catalogs.registry_version(self.hub, name, version, self.catalog_name))


class InstallHandler(APIHandler):
    policy = Policy.OWNER
    docs = {
        "POST": Op(
            "Install a registry server (installation npm, pypi, oci or remote)",
            body=RegistryInstallBody,
            response=InstallReply,
            errors=(403, 404, 409, 502),
        )
    }

    async def post(self) -> None:
        body = self.body_as(RegistryInstallBody)
        installed = await catalogs.install_registry(self.hub, self.caller, body)
        self.reply(installed, "Server installed successfully")


default_handlers = [
    (r"/api/registry/servers", ServersHandler),
    (r"/api/registry/servers/versions", VersionsHandler),
    (r"/api/registry/servers/version", VersionHandler),
    (r"/api/registry/servers/install", InstallHandler),
]
