"""The ``local`` provider: all-MiniLM-L6-v2 from an installed PyPI package, offline.

Needs the ``embeddings`` extra and the model package (``.ci/steps/smart-local.sh`` installs
both); without them these tests are skipped with that reason, and the provider itself is
refused with a 400 naming the install command (tested in ``tests/mcp/test_mcp_smart.py``).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from mcphub_search import minilm
from mcphub_search.local import LocalProvider

from hub.auth.tokens import issue_token
from hub.config.system import SmartRoutingConfig
from hub.search.documents import ToolDoc, doc_key
from hub.server import HubServer
from hub.testing import HubClient, McpSession
from tests.mcp_fixtures import http_server, wait_connected

pytestmark = pytest.mark.skipif(
    minilm.missing() is not None, reason=f"local provider not installed: {minilm.missing()}"
)

DOCS = [
    ToolDoc("forge", "create_issue", "Open a new issue in a repository.", (("title", ""),)),
    ToolDoc("geo", "get_forecast", "Weather forecast for the next days.", (("location", ""),)),
    ToolDoc("mail", "send_email", "Send an email to recipients.", (("to", ""), ("body", ""))),
    ToolDoc("billing", "refund_payment", "Refund a payment fully or partly.", ()),
]


async def test_paraphrases_find_their_tool_offline(tmp_path: Path) -> None:
    config = SmartRoutingConfig(enabled=True, embedding_provider="local")
    provider = LocalProvider()
    provider.check(config)
    index = provider.open(config, tmp_path)
    try:
        await index.upsert(DOCS)
        allowed = {d.key for d in DOCS}
        for query, server, tool in (
            ("file a bug report", "forge", "create_issue"),
            ("is it going to rain tomorrow", "geo", "get_forecast"),
            ("give the money back to the buyer", "billing", "refund_payment"),
        ):
            hits = await index.search(query, 2, allowed)
            assert hits[0].key == doc_key(server, tool), (query, hits)
        # Only allowed keys come back, however well the others match.
        hits = await index.search("file a bug report", 5, {doc_key("geo", "get_forecast")})
        assert {h.key for h in hits} <= {doc_key("geo", "get_forecast")}
        assert index.embedded == len(DOCS)
    finally:
        await index.close()
    # A second index on the same data dir embeds nothing it has seen (content-hash cache).
    again = provider.open(config, tmp_path)
    try:
        await again.upsert(DOCS)
        assert again.embedded == 0
    finally:
        await again.close()


@pytest.fixture
def hub_settings(everything: Any) -> dict[str, Any]:
    return {
        "mcpServers": {"ev": http_server(everything.url)},
        "systemConfig": {"smartRouting": {"enabled": True}},
    }


async def test_switching_to_local_through_the_api(
    hub_server: HubServer, admin_client: HubClient
) -> None:
    hub = hub_server.hub
    await wait_connected(hub, "ev")
    r = await admin_client.put(
        "/api/system-config", json={"smartRouting": {"embeddingProvider": "local"}}
    )
    assert r.status_code == 200, r.text
    await hub.smart.settled()
    assert hub.smart.provider == "local"
    admin = hub.config.users["admin"]
    token = issue_token(hub.jwt_secret, "admin", True, admin.token_version)
    session = await McpSession.open(
        f"http://{hub_server.address}", "/mcp/$smart", {"x-auth-token": token}
    )
    try:
        result = await session.call_tool("search_tools", {"query": "add two numbers"})
    finally:
        await session.close()
    body = json.loads(result["content"][0]["text"])
    assert body["metadata"]["provider"] == "local"
    assert body["tools"][0]["name"] == "ev-add"
