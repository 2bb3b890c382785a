"""The hub as the OAuth client of the official conformance suite's client ``auth/*`` scenarios.

The suite starts this script once per scenario with the URL of its protected MCP server as
the last argument (and ``MCP_CONFORMANCE_CONTEXT`` holding a pre-registered client for some
scenarios). It starts a hub on 127.0.0.1 (its own data directory), adds that URL as a
streamable-http upstream, and plays the person: whenever the upstream shows an
authorization URL (status ``oauth_required``), it opens it over HTTP; the suite's
authorization server redirects to the hub's ``/oauth/callback``. Once connected it calls
every tool (a call can ask for a scope step-up), then stops the hub.

Usage: python .ci/upstream_oauth_client.py <server url>
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import secrets
import sys
import tempfile
from pathlib import Path

import httpx2

from hub.app import Hub, HubOptions
from hub.config.models import ServerConfig
from hub.server import HubServer
from hub.upstream.state import Status

NAME = "conformance"
CLIENT_METADATA_URL = "https://conformance-test.local/client-metadata.json"


async def play_the_person(hub: Hub, opened: set[str]) -> None:
    """Open every authorization URL the upstream shows, once."""
    async with httpx2.AsyncClient(follow_redirects=True, timeout=30) as browser:
        while True:
            pending = hub.upstreams.state(NAME).oauth or {}
            url = pending.get("authorizationUrl")
            if url and url not in opened:
                opened.add(url)
                reply = await browser.get(url)
                print(f"consent: {reply.status_code} at {reply.url}", file=sys.stderr)
            await asyncio.sleep(0.05)


async def wait_connected(hub: Hub, opened: set[str], seconds: float) -> bool:
    """True once connected; False when a flow that was consented to ended unconnected."""
    async with asyncio.timeout(seconds):
        while True:
            state = hub.upstreams.state(NAME)
            if state.status is Status.CONNECTED:
                return True
            if opened and state.status is not Status.CONNECTING and not state.oauth:
                return False
            await asyncio.sleep(0.05)


async def run(url: str) -> int:
    tmp = Path(tempfile.mkdtemp(prefix="hub-oauth-client-"))
    options = HubOptions(
        data_dir=tmp / "data", host="127.0.0.1", port=0, admin_password=secrets.token_urlsafe()
    )
    server = HubServer(options, hub=Hub(options))
    await server.start()
    hub = server.hub
    person: asyncio.Task[None] | None = None
    try:
        system = hub.config.system
        install = system.install.model_copy(update={"base_url": f"http://{server.address}"})
        await hub.config.put_system(system.model_copy(update={"install": install}))
        context = json.loads(os.environ.get("MCP_CONFORMANCE_CONTEXT") or "{}")
        # The suite's authorization server accepts this client metadata document URL.
        oauth = {"clientMetadataUrl": CLIENT_METADATA_URL}
        if context.get("client_id"):
            oauth["clientId"] = context["client_id"]
            if context.get("client_secret"):
                oauth["clientSecret"] = context["client_secret"]
        config = ServerConfig(type="streamable-http", url=url, oauth=oauth)
        opened: set[str] = set()
        person = asyncio.create_task(play_the_person(hub, opened))
        await hub.config.put_server(NAME, config, create=True)
        if not await wait_connected(hub, opened, 25):
            state = hub.upstreams.state(NAME)
            print(f"gave up: {state.status} ({state.error})", file=sys.stderr)
            return 1
        for tool in hub.upstreams.state(NAME).tools:
            try:
                await hub.upstreams.call_tool(NAME, tool["name"], {})
            except Exception as exc:  # noqa: BLE001 - the suite judges; report and go on
                print(f"tool {tool['name']}: {exc}", file=sys.stderr)
        return 0
    except TimeoutError:
        state = hub.upstreams.state(NAME)
        print(f"not connected: {state.status} ({state.error})", file=sys.stderr)
        return 1
    finally:
        if person is not None:
            person.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await person
        await server.stop()


if __name__ == "__main__":
    sys.exit(asyncio.run(run(sys.argv[-1])))
