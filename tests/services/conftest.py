"""Service tests call ``hub.services`` directly on a real started hub, as the OAuth server,
catalog install and dashboard will: no HTTP, principals built as the authenticators do."""

from __future__ import annotations

import pytest

from hub.app import Hub
from hub.auth import passwords
from hub.server import HubServer


@pytest.fixture(autouse=True)
def fast_bcrypt(monkeypatch: pytest.MonkeyPatch) -> None:
    """Real bcrypt at its lowest cost: these tests are about rules, not hashing."""
    monkeypatch.setattr(passwords, "BCRYPT_ROUNDS", 4)


@pytest.fixture
async def hub(hub_server: HubServer) -> Hub:
    """The started hub, its first admin settled."""
    await hub_server.hub.admin_ready()
    return hub_server.hub
