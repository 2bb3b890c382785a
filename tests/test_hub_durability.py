"""SIGKILL of a serving hub during 100 concurrent API writes loses no acknowledged write."""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path

import httpx2
import pytest
from mcphub_sqlite.store import SQLiteStore

from tests.hubproc import HubProcess

pytestmark = pytest.mark.slow  # a hub child process, 100 writes, SIGKILL


async def test_acknowledged_api_writes_survive_sigkill(tmp_path: Path) -> None:
    hub = await HubProcess(tmp_path, {"ADMIN_PASSWORD": "Kill-pass-1!"}).start()
    acked: list[str] = []
    enough = asyncio.Event()
    try:
        async with httpx2.AsyncClient(base_url=hub.url, timeout=30) as http:
            r = await http.post(
                "/api/auth/login", json={"username": "admin", "password": "Kill-pass-1!"}
            )
            headers = {"x-auth-token": r.json()["token"]}

            async def write(i: int) -> None:
                name = f"s{i:03}"
                config = {"type": "sse", "url": f"http://127.0.0.1:9/{i}", "enabled": False}
                r = await http.post(
                    "/api/servers", json={"name": name, "config": config}, headers=headers
                )
                if r.status_code == 200:
                    acked.append(name)
                    if len(acked) >= 30:
                        enough.set()

            tasks = [asyncio.create_task(write(i)) for i in range(100)]
            await enough.wait()
            assert hub.proc is not None
            hub.proc.send_signal(signal.SIGKILL)
            await asyncio.gather(*tasks, return_exceptions=True)
    finally:
        code = await hub.stop(signal.SIGKILL)
    assert code == -signal.SIGKILL
    assert 30 <= len(acked) < 100, "the kill should land in the middle of the writes"

    store = SQLiteStore(tmp_path / "data" / "mcphub.db")
    await store.open()
    try:
        held = {key: doc for key, doc in await store.items("servers")}
        for name in acked:
            assert name in held, f"{name} was acknowledged but is gone"
            assert held[name]["config"]["url"] == f"http://127.0.0.1:9/{int(name[1:])}"
    finally:
        await store.close()
