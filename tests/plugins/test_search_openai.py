"""The ``openai`` search provider against a fake OpenAI-compatible server on 127.0.0.1:
key and model checked, batches, retries, vectors cached by content hash, a failing
provider falling back to words."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import pytest

from hub.auth.tokens import issue_token
from hub.server import HubServer
from hub.testing import HubClient, McpSession
from tests.fake_openai import FakeOpenAI, start
from tests.mcp_fixtures import http_server, wait_connected


@pytest.fixture
async def fake() -> AsyncIterator[FakeOpenAI]:
    server = start(FakeOpenAI(fail_first=1))
    yield server
    assert server.server is not None
    server.server.stop()


def admin_headers(hub: HubServer) -> dict[str, str]:
    admin = hub.hub.config.users["admin"]
    return {"x-auth-token": issue_token(hub.hub.jwt_secret, "admin", True, admin.token_version)}


def smart_config(fake: FakeOpenAI, **extra: Any) -> dict[str, Any]:
    return {
        "enabled": True,
        "embeddingProvider": "openai",
        "openaiApiBaseUrl": fake.url,
        "openaiApiKey": fake.key,
        "openaiApiEmbeddingModel": fake.model,
        **extra,
    }


@pytest.fixture
def hub_settings(everything: Any, fake: FakeOpenAI) -> dict[str, Any]:
    return {
        "mcpServers": {"ev": http_server(everything.url)},
        "systemConfig": {"smartRouting": smart_config(fake)},
    }


async def search(hub: HubServer, query: str) -> list[str]:
    session = await McpSession.open(f"http://{hub.address}", "/mcp/$smart", admin_headers(hub))
    try:
        result = await session.call_tool("search_tools", {"query": query, "limit": 5})
    finally:
        await session.close()
    body = json.loads(result["content"][0]["text"])
    assert body["metadata"]["provider"] == hub.hub.smart.provider
    return [tool["name"] for tool in body["tools"]]


async def test_openai_provider_embeds_once_with_its_key_and_model(
    hub_server: HubServer, fake: FakeOpenAI, admin_client: HubClient
) -> None:
    hub = hub_server.hub
    await wait_connected(hub, "ev")
    await hub.smart.settled()
    assert hub.smart.provider == "openai"
    assert fake.refused == [] and fake.fail_first == 0  # the 429 was retried
    tools = {doc.tool for doc in hub.smart.catalog_docs().values()}
    embedded = fake.texts
    assert len(embedded) == len(tools) and all(len(b) <= 64 for b in fake.batches)
    assert (await search(hub_server, "echo the text"))[0] == "ev-echo"
    # Unchanged tools are never embedded twice: a full rebuild only embeds nothing new.
    before = len(fake.texts)
    r = await admin_client.post("/api/smart-routing/reindex")
    assert r.status_code == 200 and r.json()["data"] == {"provider": "openai", "tools": len(tools)}
    assert len(fake.texts) == before
    assert (await search(hub_server, "echo the text"))[0] == "ev-echo"
    assert len(fake.texts) == before  # that query was embedded once, then cached


async def test_wrong_key_falls_back_to_words_and_bad_config_is_400(
    hub_server: HubServer, fake: FakeOpenAI, admin_client: HubClient
) -> None:
    hub = hub_server.hub
    await wait_connected(hub, "ev")
    await hub.smart.settled()
    r = await admin_client.put(
        "/api/system-config", json={"smartRouting": {"openaiApiKey": "sk-wrong"}}
    )
    assert r.status_code == 200, r.text
    await hub.smart.settled()
    # Tool vectors come from the cache (same endpoint and model); the query's must be asked
    # for, the API refuses the key, and the search still answers, by words (never a 5xx).
    assert (await search(hub_server, "echo"))[0] == "ev-echo"
    assert "key" in fake.refused
    r = await admin_client.put(
        "/api/system-config",
        json={"smartRouting": {"embeddingProvider": "azure_openai", "azureOpenaiEndpoint": ""}},
    )
    assert r.status_code == 400 and "azureOpenaiEndpoint" in r.json()["message"]
