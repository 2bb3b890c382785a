"""``/api/logs``: the ring buffer (bounded, redacted, fed by the hub and by stdio children's
stderr), clearing it, and the SSE stream (initial, log events, heartbeats, slow readers)."""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

import httpx2
import pytest

from hub import logs
from hub.api import logs as logs_api
from hub.server import HubServer
from hub.testing import HubClient, wait_for
from tests.api_fixtures import stdio_config, wait_server


def messages(client_json: dict[str, Any]) -> list[str]:
    return [e["message"] for e in client_json["data"]]


async def test_buffer_list_and_clear(api: HubClient) -> None:
    r = await api.post("/api/servers", json={"name": "ev", "config": stdio_config()})
    assert r.status_code == 200
    await wait_server(api, "ev", "connected")
    r = await api.get("/api/logs")
    assert r.status_code == 200 and r.json()["success"] is True
    entries = r.json()["data"]
    added = next(e for e in entries if e["message"] == "Server ev added by admin")
    assert added["type"] == "info" and added["source"] == "hub.api.servers"
    assert isinstance(added["timestamp"], int) and added["timestamp"] > 1_600_000_000_000
    # a stdio child's stderr lands in the buffer too
    await wait_for(
        lambda: any(
            "everything upstream started (stdio)" in e["message"] for e in logs.buffer.entries
        )
    )

    r = await api.delete("/api/logs")
    assert r.status_code == 200 and r.json()["message"] == "Logs cleared successfully"
    after = messages((await api.get("/api/logs")).json())
    assert "Server ev added by admin" not in after


async def test_redaction_and_bounds(api: HubClient) -> None:
    noisy = logging.getLogger("hub.test_logs")
    noisy.info("upstream said Authorization: Bearer abcdefghijklmnop and token=zyxwvutsrq")
    noisy.warning("jwt eyJhbGciOiJIUzI1NiJ9.eyJ1c2VyIjoiYWRtaW4ifQ.c2lnbmF0dXJlc2ln here")
    text = (await api.get("/api/logs")).text
    assert "abcdefghijklmnop" not in text and "zyxwvutsrq" not in text
    assert "eyJhbGciOiJIUzI1NiJ9" not in text and "[REDACTED]" in text
    warn = [e for e in (await api.get("/api/logs")).json()["data"] if "jwt" in e["message"]]
    assert warn[0]["type"] == "warn"

    small = logs.LogBuffer(capacity=3)
    for i in range(10):
        small.add_line("srv", f"line {i}")
    assert [e["message"] for e in small.entries] == ["line 7", "line 8", "line 9"]
    small.add_line("srv", "x" * 100_000)
    assert len(small.entries[-1]["message"]) < logs.MAX_MESSAGE + 20


async def test_rights(alice: HubClient, hub_client: HubClient) -> None:
    for method, path in (
        ("GET", "/api/logs"),
        ("DELETE", "/api/logs"),
        ("GET", "/api/logs/stream"),
    ):
        assert (await hub_client.request(method, path)).status_code == 401
        assert (await alice.request(method, path)).status_code == 403
    assert (
        await hub_client.get("/api/logs/stream", params={"token": "not.a.jwt"})
    ).status_code == 401


async def read_events(response: httpx2.Response, out: list[tuple[str, Any]]) -> None:
    """Collect ``(event, data)`` pairs, and heartbeats as ``("heartbeat", None)``."""
    event = ""
    async for line in response.aiter_lines():
        if line.startswith(": heartbeat"):
            out.append(("heartbeat", None))
        elif line.startswith("event: "):
            event = line[7:]
        elif line.startswith("data: "):
            out.append((event, json.loads(line[6:])))


async def test_stream(
    api: HubClient, hub_server: HubServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(logs_api, "HEARTBEAT_S", 0.2)
    logging.getLogger("hub.test_logs").info("before the stream")
    events: list[tuple[str, Any]] = []
    async with (
        httpx2.AsyncClient(base_url=f"http://{hub_server.address}", timeout=10) as http,
        http.stream("GET", "/api/logs/stream", params={"token": api.token}) as response,
    ):
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        reader = asyncio.ensure_future(read_events(response, events))
        await wait_for(lambda: bool(events))
        name, initial = events[0]
        assert name == "initial" and initial["type"] == "initial"
        assert "before the stream" in [e["message"] for e in initial["logs"]]
        logging.getLogger("hub.test_logs").info("during the stream")
        await wait_for(
            lambda: any(
                n == "log" and d["log"]["message"] == "during the stream" for n, d in events
            )
        )
        log_event = next(d for n, d in events if n == "log")
        assert log_event["type"] == "log" and set(log_event["log"]) >= {
            "timestamp",
            "type",
            "source",
        }
        await wait_for(lambda: ("heartbeat", None) in events, within=5)
        reader.cancel()
    # the subscriber is gone once the client left
    await wait_for(lambda: not logs.buffer.listeners, within=5)


async def test_slow_stream_reader_is_dropped(
    api: HubClient, hub_server: HubServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(logs_api, "QUEUE_MAX", 2)
    async with (
        httpx2.AsyncClient(base_url=f"http://{hub_server.address}", timeout=10) as http,
        http.stream("GET", "/api/logs/stream", headers={"x-auth-token": api.token or ""}) as r,
    ):
        assert r.status_code == 200
        await wait_for(lambda: bool(logs.buffer.listeners))
        flood = logging.getLogger("hub.test_logs")
        for i in range(50):  # synchronous: the queue overflows before the stream drains it
            flood.info("flood %d", i)
        events: list[tuple[str, Any]] = []
        async with asyncio.timeout(5):
            await read_events(r, events)  # returns because the hub ended the stream
    assert events[0][0] == "initial"
    assert len([e for e in events if e[0] == "log"]) <= 2


async def test_failed_requests_are_kept_answered_ones_only_on_the_console(api: HubClient) -> None:
    """The ring keeps access lines of failed requests; one line per answered request would
    push everything else out of it (the console still shows every request)."""
    await api.get("/api/logs")
    await api.get("/api/no-such-route-x1")
    await wait_for(
        lambda: any("404 GET /api/no-such-route-x1" in e["message"] for e in logs.buffer.entries)
    )
    assert not any(e["message"].startswith("200 GET /api/logs") for e in list(logs.buffer.entries))
