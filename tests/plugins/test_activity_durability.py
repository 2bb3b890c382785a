"""SIGKILL of a hub right after 1,000 tool calls: every acknowledged activity record is kept.

"Acknowledged" means committed by the batched writer: a read (``/api/activities/stats``,
the ``mcphub_activities_written_total`` counter) sees only committed records, and with the
SQLite store (WAL, ``synchronous=FULL``) a commit survives the kill. A watcher polls the
count while the calls run; the hub is killed the moment the 1,000th call returns. What is
lost is what was still queued in the hub then (printed for the note): the store's writer
process finishes the batch it was sent, so more than the acknowledged records may be kept.
"""

from __future__ import annotations

import asyncio
import json
import re
import signal
import sqlite3
from pathlib import Path

import httpx2
import pytest
from mcphub_activity.recorder import BATCH, CAPACITY

from hub.testing import McpSession
from tests.api_fixtures import stdio_config
from tests.hubproc import HubProcess

pytestmark = pytest.mark.slow  # a hub child process and a stdio upstream, 1,000 calls

CALLS = 1000
CLIENTS = 16


async def test_acknowledged_activities_survive_sigkill(tmp_path: Path) -> None:
    settings = tmp_path / "mcp_settings.json"
    settings.write_text(json.dumps({"mcpServers": {"ev": stdio_config()}}))
    hub = await HubProcess(
        tmp_path, {"ADMIN_PASSWORD": "Kill-pass-1!"}, "--settings", str(settings)
    ).start()
    acknowledged = 0
    peak = 0.0
    done = 0
    sessions: list[McpSession] = []
    try:
        async with httpx2.AsyncClient(base_url=hub.url, timeout=30) as http:
            r = await http.post(
                "/api/auth/login", json={"username": "admin", "password": "Kill-pass-1!"}
            )
            headers = {"x-auth-token": r.json()["token"]}
            r = await http.post("/api/servers/ev/toggle", json={"enabled": True}, headers=headers)
            for _ in range(300):
                summary = (await http.get("/api/servers/ev", headers=headers)).json()["data"]
                if summary["status"] == "connected":
                    break
                await asyncio.sleep(0.05)
            assert summary["status"] == "connected", summary
            sessions += [await McpSession.open(hub.url, "/mcp", headers) for _ in range(CLIENTS)]
            finished = asyncio.Event()

            async def client(session: McpSession) -> None:
                nonlocal done
                while done < CALLS:
                    result = await session.call_tool("ev-echo", {"text": "x"})
                    assert result["content"][0]["text"] == "x"
                    done += 1
                    if done >= CALLS:
                        finished.set()

            async def watch() -> None:
                nonlocal acknowledged, peak
                while not finished.is_set():
                    r = await http.get("/api/activities/stats", headers=headers)
                    acknowledged = max(acknowledged, r.json()["data"]["totalCalls"])
                    text = (await http.get("/metrics", headers=headers)).text
                    found = re.search(r"^mcphub_activities_backlog_peak (\S+)$", text, re.MULTILINE)
                    peak = max(peak, float(found.group(1))) if found else peak

            watcher = asyncio.create_task(watch())
            runners = [asyncio.create_task(client(s)) for s in sessions]
            await finished.wait()
            assert hub.proc is not None
            hub.proc.send_signal(signal.SIGKILL)
            await asyncio.gather(watcher, *runners, return_exceptions=True)
    finally:
        code = await hub.stop(signal.SIGKILL)
        for session in sessions:
            await session.http.aclose()
    assert code == -signal.SIGKILL
    assert done >= CALLS

    db = sqlite3.connect(tmp_path / "data" / "mcphub.db")
    try:
        ids = [row[0] for row in db.execute("SELECT id FROM activities ORDER BY id")]
    finally:
        db.close()
    # Batches commit in order and ids are handed out in commit order: the acknowledged
    # records are the first ``acknowledged`` ids, and every one of them is there.
    assert ids[:acknowledged] == list(range(1, acknowledged + 1))
    assert len(ids) >= acknowledged > 0
    lost = done - len(ids)
    print(
        f"\ncalls answered {done}, acknowledged seen {acknowledged}, kept {len(ids)}, "
        f"lost {lost}, backlog peak {peak:.0f}"
    )
    assert 0 <= lost <= CAPACITY + BATCH
