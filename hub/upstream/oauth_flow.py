"""What an upstream does for a transport's OAuth flow (``Target.authorize``/``save_oauth``).

The flow itself (discovery, registration, PKCE, token exchange, refresh) belongs to the
transport; the upstream shows its authorization URL while it waits for a person, and keeps
what it obtains in the server's stored ``oauth`` section (masked by the API, kept across
restarts; those keys do not make the manager reconnect: ``manager.OAUTH_FLOW_KEYS``).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

from hub.upstream.state import Status

if TYPE_CHECKING:
    from hub.upstream.session import Upstream


def authorize(upstream: Upstream, url: str) -> None:
    """The upstream's OAuth flow waits for a person to open ``url`` and consent."""
    scope = upstream._scope
    if scope is not None and upstream.session is None:
        scope.deadline = math.inf  # no connect timeout while a person decides
    state = parse_qs(urlsplit(url).query).get("state", [""])[0]
    upstream._set(
        ("status",),
        status=Status.OAUTH_REQUIRED,
        error="authorization required: open the authorization URL",
        oauth={"authorizationUrl": url, "state": state},
    )


async def save(upstream: Upstream, values: dict[str, Any]) -> None:
    """Merge ``values`` into the server's stored ``oauth`` section."""
    live = upstream.manager.hub.config
    config = live.servers.get(upstream.name)
    if config is None:
        return
    oauth = {**(config.oauth or {}), **values}
    await live.put_server(upstream.name, config.model_copy(update={"oauth": oauth}))
    if upstream.session is not None:  # a scope step-up finished on a live connection
        upstream._set(("status",), status=Status.CONNECTED, error=None, oauth=None)
