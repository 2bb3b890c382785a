"""Metadata documents: ``/.well-known/oauth-authorization-server[/{issuer path}]`` (RFC 8414)
and ``/.well-known/oauth-protected-resource[/{route}]`` (RFC 9728), where the suffix is the
path of an MCP route (``/mcp``, ``/mcp/{group|server}``, ``/{user}/mcp``), with ``BASE_PATH``."""

from __future__ import annotations

from mcphub_oauth import urls
from mcphub_oauth.base import OAuthHandler
from mcphub_oauth.grants import OAuthError


class MetadataBase(OAuthHandler):
    def set_default_headers(self) -> None:
        self.set_header("Access-Control-Allow-Origin", "*")


class ServerMetadataHandler(MetadataBase):
    async def get(self, suffix: str | None = None) -> None:
        if suffix and suffix.rstrip("/") != self.hub.base_path:
            raise OAuthError("not_found", "OAuth server not configured", 404)
        self.oauth_json(urls.as_metadata(self.hub, self.request))


class ResourceMetadataHandler(MetadataBase):
    async def get(self, suffix: str | None = None) -> None:
        path = ""
        if suffix and suffix.rstrip("/") != self.hub.base_path:
            path = urls.route_path(self.hub, suffix)
            outside_base = bool(self.hub.base_path) and path == suffix
            if outside_base or not urls.is_mcp_path(path):
                raise OAuthError("not_found", "No protected resource at this path", 404)
        self.oauth_json(urls.resource_metadata(self.hub, self.request, path))
