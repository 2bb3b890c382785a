"""The three built-in catalogs are plugins like any other: ``mcphub plugins`` lists them,
``GET /api/catalogs`` describes them, and blocking one takes its routes' data away."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from hub.testing import HubClient
from tests.catalogs.fakes import data, failure


def test_mcphub_plugins_lists_the_three_catalogs() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "hub.cli", "plugins"],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "MCPHUB_LOAD_PLUGINS": ""},
        timeout=60,
    ).stdout
    rows = {line.split("\t")[0]: line.split("\t")[-1] for line in out.splitlines()}
    for name in ("market", "cloud", "registry"):
        assert rows[name] == "register_catalogs", out


async def test_api_catalogs_describes_them(admin_client: HubClient) -> None:
    described = data(await admin_client.get("/api/catalogs"))
    assert {(c["name"], c["family"]) for c in described} >= {
        ("market", "market"),
        ("cloud", "cloud"),
        ("registry", "registry"),
    }


@pytest.fixture
def catalogs_blocked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MCPHUB_DISABLE_PLUGINS", "market,cloud,registry")


@pytest.mark.usefixtures("catalogs_blocked")
async def test_blocked_catalogs_leave_the_routes_empty(admin_client: HubClient) -> None:
    assert data(await admin_client.get("/api/catalogs")) == []
    assert data(await admin_client.get("/api/market/servers")) == []
    r = await admin_client.get("/api/registry/servers")
    assert failure(r, 404) == "No registry catalog 'registry' is available"
    r = await admin_client.get("/api/cloud/servers")
    assert failure(r, 404) == "No cloud catalog 'cloud' is available"
