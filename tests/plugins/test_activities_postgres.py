"""Activity history with the hub on PostgreSQL: the same tests as ``test_activities.py``.

Every test of that module runs here again against a hub whose store is a PostgreSQL
database of its own: real tool calls through every route (``/mcp``, a group, legacy SSE,
the REST tool routes) are recorded by the activity plugin into ``mcphub_activities`` and
served at ``/api/activities`` (filters, paging, stats, filters list, by id, cleanup,
retention, what a normal user may see, recording switched off).
"""

from __future__ import annotations

from dataclasses import replace

import asyncpg
import pytest

from hub.app import HubOptions
from hub.plugin_api import activity_log
from hub.server import HubServer
from hub.testing import HubClient, McpSession
from tests.plugins.test_activities import (  # noqa: F401 (fixtures and tests run here too)
    alice,
    api,
    hub_settings,
    records,
    refuser,
    test_a_normal_user_sees_only_their_own,
    test_a_refusing_hook_is_recorded,
    test_every_route_records_a_call,
    test_failures_and_refusals_are_errors,
    test_filters_paging_stats_and_cleanup,
    test_recording_can_be_switched_off,
    test_retention_deletes_old_records,
)


@pytest.fixture
def hub_options(hub_options: HubOptions, pg_url: str) -> HubOptions:
    """The usual test hub, with its store in a fresh PostgreSQL database."""
    return replace(hub_options, store="postgresql", store_url=pg_url)


async def test_the_hub_records_into_postgresql(
    hub_server: HubServer,
    api: HubClient,  # noqa: F811 (the imported fixture)
    mcp_session: McpSession,
    pg_url: str,
) -> None:
    """A real call lands in the PostgreSQL table and comes back from the API."""
    assert type(activity_log(hub_server.hub.store)).__module__ == "mcphub_postgres.activities"
    await mcp_session.call_tool("ev-echo", {"text": "stored in postgres"})
    [row] = await records(api, 1)
    assert (row["server"], row["tool"], row["status"]) == ("ev", "echo", "success")
    conn = await asyncpg.connect(pg_url)
    try:
        stored = await conn.fetchrow(
            "SELECT server, tool, status, usr, duration FROM mcphub_activities WHERE id = $1",
            int(row["id"]),
        )
    finally:
        await conn.close()
    assert stored is not None
    assert (stored["server"], stored["tool"], stored["status"]) == ("ev", "echo", "success")
    assert stored["usr"] == "admin" and stored["duration"] == row["duration"]
