"""The web dashboard at ``/`` (and under ``BASE_PATH``): a built-in plugin serving static files.

The pages are one application (Preact, vendored as ES modules, no build step) that talks to
the hub only through its REST API with the login token; these handlers serve its files and
nothing else, so they are public: the API decides what each caller may see.
"""

from __future__ import annotations

import functools
from typing import Any

from hub.plugin_api import APIHandler, Hub, NotFound, Policy, hookimpl
from mcphub_dashboard.assets import CSP, Asset, Bundle, load

PAGES = {
    "login": "servers",
    "servers": "servers",
    "groups": "groups",
    "users": "people",
    "keys": "people",
    "settings": "settings",
    "logs": "logs",
    "activity": "activity",
    "market": "market",
    "prompts": "builtins",
    "resources": "builtins",
    "oauth-clients": "oauth",
}
"""Client-side routes (a reload or a bookmark of one gets the application too), each with
the module (``js/<name>.mjs``) of its page; after a login the Servers page opens."""


@functools.cache
def bundle() -> Bundle:
    """The files, read once per process."""
    return load()


class StaticHandler(APIHandler):
    """Sends an :class:`Asset` with the dashboard's security headers, gzipped when accepted."""

    policy = Policy.PUBLIC

    async def prepare(self) -> None:
        await super().prepare()
        self.clear_header("Content-Type")
        self.set_header("Content-Security-Policy", CSP)
        self.set_header("X-Content-Type-Options", "nosniff")
        self.set_header("Referrer-Policy", "no-referrer")
        self.set_header("X-Frame-Options", "DENY")
        self.set_header("Vary", "Accept-Encoding")

    def send_asset(self, asset: Asset, cache_control: str) -> None:
        self.set_header("Content-Type", asset.content_type)
        self.set_header("Cache-Control", cache_control)
        accepts = self.request.headers.get("Accept-Encoding", "")
        body = asset.body
        if asset.gzipped is not None and "gzip" in accepts:
            self.set_header("Content-Encoding", "gzip")
            body = asset.gzipped
        if self.request.method == "HEAD":
            self.set_header("Content-Length", str(len(body)))
            self.finish()
        else:
            self.finish(body)


class PageHandler(StaticHandler):
    """``index.html``: names the current build, so it is revalidated on every load."""

    async def get(self, page: str | None = None) -> None:
        module = f"js/{PAGES.get(page or 'servers', 'servers')}.mjs"
        self.send_asset(bundle().index(self.hub.base_path, module), "no-cache")

    head = get


class AssetHandler(StaticHandler):
    """A file of the build; immutable under its build's name."""

    async def get(self, build: str, name: str) -> None:
        files = bundle()
        asset = files.files.get(name)
        if asset is None:
            raise NotFound(f"No dashboard file {name}")
        # An older page asking for an older build still gets the file, but not for keeps.
        fresh = build == files.build
        self.send_asset(asset, "public, max-age=31536000, immutable" if fresh else "no-cache")

    head = get


FAMILIES = {
    "activities": "/api/activities",
    "market": "/api/market/",
    "cloud": "/api/cloud/",
    "registry": "/api/registry/",
    "mcpb": "/api/mcpb/upload",
    "oauthClients": "/api/oauth/clients",
    "smartRouting": "/api/smart-routing/",
}
"""API families built by other plugins; a page whose family is missing says what it will do."""


class FeaturesHandler(APIHandler):
    """Which optional API families this hub serves, read from its route table, so the pages
    need not probe them (a probe's 404 would be a console error in the browser)."""

    policy = Policy.AUTHENTICATED

    async def get(self) -> None:
        prefix = self.hub.base_path
        patterns = [pattern for pattern, *_ in self.hub.routes]
        self.reply(
            {
                family: any(p.startswith(prefix + path) for p in patterns)
                for family, path in FAMILIES.items()
            }
        )


@hookimpl
def register_routes(hub: Hub) -> list[tuple[str, type, dict[str, Any]]]:
    bundle()  # read the files at start, not on the first request
    pages = "|".join(PAGES)
    return [
        (r"/api/dashboard/features", FeaturesHandler, {}),
        (r"/?", PageHandler, {}),
        (rf"/(?P<page>{pages})/?", PageHandler, {}),
        (r"/assets/(?P<build>[0-9A-Za-z]{1,64})/(?P<name>[A-Za-z0-9_./-]+)", AssetHandler, {}),
    ]
