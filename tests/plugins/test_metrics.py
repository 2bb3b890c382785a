"""``GET /metrics``: who may read it, and each metric moving after real calls."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import httpx2
import pytest
from prometheus_client.parser import text_string_to_metric_families

from hub.auth.tokens import issue_token
from hub.config.models import User
from hub.server import HubServer
from hub.testing import HubClient, McpError, McpSession, wait_for
from hub.upstream.calls import ToolCall
from tests.api_fixtures import wait_server

ROOT = Path(__file__).resolve().parents[2]
KEY_ALL = "tok_all_access_key_for_metrics_"
KEY_SCOPED = "tok_scoped_key_for_metrics_test"


@pytest.fixture
def hub_settings(everything_http: str) -> dict[str, Any]:
    return {
        "mcpServers": {"ev": {"type": "streamable-http", "url": everything_http}},
        "bearerKeys": [
            {"id": "k1", "name": "ops", "token": KEY_ALL, "accessType": "all"},
            {
                "id": "k2",
                "name": "scoped",
                "token": KEY_SCOPED,
                "accessType": "servers",
                "allowedServers": ["ev"],
            },
        ],
    }


@pytest.fixture
async def api(hub_server: HubServer) -> AsyncIterator[HubClient]:
    client = HubClient(f"http://{hub_server.address}")
    client.token = issue_token(hub_server.hub.jwt_secret, "admin", True, 0)
    await wait_server(client, "ev", "connected")
    yield client
    await client.aclose()


Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


async def scrape(api: HubClient) -> Samples:
    r = await api.get("/metrics")
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/plain")
    out: Samples = {}
    for family in text_string_to_metric_families(r.text):
        for sample in family.samples:
            out[sample.name, frozenset(sample.labels.items())] = sample.value
    return out


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


async def test_only_admins_and_all_access_keys_read_metrics(
    hub_server: HubServer, api: HubClient
) -> None:
    base = f"http://{hub_server.address}"
    await hub_server.hub.config.put_user(User(username="bob", password="!"), create=True)
    bob = issue_token(hub_server.hub.jwt_secret, "bob", False, 0)
    async with httpx2.AsyncClient(base_url=base) as http:
        anonymous = await http.get("/metrics")
        assert anonymous.status_code == 401 and anonymous.json()["success"] is False
        assert (await http.get("/metrics", headers={"x-auth-token": bob})).status_code == 403
        scoped = await http.get("/metrics", headers={"Authorization": f"Bearer {KEY_SCOPED}"})
        assert scoped.status_code in (401, 403)
        keyed = await http.get("/metrics", headers={"Authorization": f"Bearer {KEY_ALL}"})
        assert keyed.status_code == 200 and "mcphub_tool_calls" in keyed.text
        r = await api.put("/api/system-config", json={"observability": {"publicMetrics": True}})
        assert r.status_code == 200, r.text
        public = await http.get("/metrics")
        assert public.status_code == 200 and "process_cpu_seconds_total" in public.text
        openmetrics = await http.get(
            "/metrics", headers={"Accept": "application/openmetrics-text; version=1.0.0"}
        )
        assert openmetrics.headers["content-type"].startswith("application/openmetrics-text")
        assert openmetrics.text.rstrip().endswith("# EOF")


async def test_calls_move_the_counters(
    hub_server: HubServer, api: HubClient, mcp_session: McpSession
) -> None:
    before = await scrape(api)
    assert value(before, "mcphub_upstream_up", server="ev") == 1.0
    assert value(before, "mcphub_mcp_sessions", era="2025-streamable") >= 1.0
    await mcp_session.call_tool("ev-echo", {"text": "hi"})
    await mcp_session.call_tool("ev-echo", {"text": "again"})
    assert (await mcp_session.call_tool("ev-fail", {}))["isError"] is True
    with pytest.raises(McpError):
        await mcp_session.call_tool("ev-missing", {})
    assert (await api.post("/api/tools/ev/echo", json={"text": "rest"})).status_code == 200

    after = await scrape(api)

    def delta(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert delta("mcphub_tool_calls_total", server="ev", status="success") == 3
    assert delta("mcphub_tool_calls_total", server="ev", status="error") == 2
    assert delta("mcphub_tool_call_duration_seconds_count", server="ev") == 5
    assert delta("mcphub_tool_call_duration_seconds_bucket", server="ev", le="+Inf") == 5
    assert delta("mcphub_tool_call_duration_seconds_sum", server="ev") > 0
    assert delta("mcphub_http_requests_total", route="/api/tools/{server}/{tool}", code="200") == 1
    assert delta("mcphub_http_requests_total", route="/mcp", code="200") == 4
    assert value(after, "mcphub_activities_written_total") >= 0
    # Bounded labels: tool names and raw paths never become label values.
    labels = {v for _, pairs in after for _, v in pairs}
    assert not {"echo", "ev-echo", "fail", "/api/tools/ev/echo"} & labels
    await api.get("/api/servers/ev")
    routes = {dict(pairs).get("route") for name, pairs in await scrape(api)}
    assert "/api/servers/{name}" in routes and "/api/servers/ev" not in routes


async def test_upstream_up_and_reconnects(api: HubClient) -> None:
    before = await scrape(api)
    assert value(before, "mcphub_upstream_reconnects_total", server="ev") == 0
    r = await api.post("/api/servers/ev/toggle", json={"enabled": False})
    assert r.status_code == 200, r.text

    async def down() -> bool:
        return value(await scrape(api), "mcphub_upstream_up", server="ev") == 0.0

    await wait_for(down)
    assert (await api.post("/api/servers/ev/toggle", json={"enabled": True})).status_code == 200

    async def back() -> bool:
        samples = await scrape(api)
        return value(samples, "mcphub_upstream_up", server="ev") == 1.0

    await wait_for(back)

    async def counted() -> bool:
        samples = await scrape(api)
        return value(samples, "mcphub_upstream_reconnects_total", server="ev") == 1.0

    await wait_for(counted)


async def test_legacy_sse_sessions_are_counted(hub_server: HubServer, api: HubClient) -> None:
    base = f"http://{hub_server.address}"
    async with (
        httpx2.AsyncClient(base_url=base, timeout=10) as http,
        http.stream("GET", "/sse", headers={"x-auth-token": api.token or ""}) as stream,
    ):
        assert stream.status_code == 200

        async def counted() -> bool:
            samples = await scrape(api)
            return value(samples, "mcphub_mcp_sessions", era="legacy-sse") == 1.0

        await wait_for(counted)


async def test_the_contrib_dashboard_queries_only_exposed_metrics(api: HubClient) -> None:
    dashboard = json.loads((ROOT / "contrib/observability/grafana-dashboard.json").read_text())
    queried = {
        name
        for panel in dashboard["panels"]
        for target in panel["targets"]
        for name in re.findall(r"\b(?:mcphub|process)_\w+", target["expr"])
    }
    text = (await api.get("/metrics")).text
    exposed = set(re.findall(r"^# TYPE (\S+)", text, re.MULTILINE))
    missing = {n for n in queried if n not in exposed and n.removesuffix("_bucket") not in exposed}
    assert not missing and len(queried) >= 9
    scrape = (ROOT / "contrib/observability/prometheus.yml").read_text()
    assert "metrics_path: /metrics" in scrape and "127.0.0.1:3000" in scrape


def test_the_bulk_histogram_exposes_what_prometheus_clients_own_would() -> None:
    """Durations counted in bulk give the same buckets, count and sum as prometheus_client's
    ``Histogram`` observing them one by one (bounds are inclusive)."""
    from mcphub_metrics.plugin import DURATION_BUCKETS, DurationHistogram, HubMetrics
    from prometheus_client import CollectorRegistry, Histogram, generate_latest

    values = [0.0, 0.001, 0.0011, 0.0025, 0.7, 5, 59.9, 60, 61, 1e9, *DURATION_BUCKETS]
    calls = [("a" if i % 3 else "b", "success", v) for i, v in enumerate(values)]
    hub = SimpleNamespace(metrics=CollectorRegistry())
    metrics = HubMetrics(hub)  # type: ignore[arg-type]
    finished = []
    for server, _, seconds in calls:
        call = ToolCall(server, "t", {}, None, started=0.0)
        call.finished = seconds
        finished.append((call, {"content": []}, None))
    metrics.count_calls(finished[:7])
    metrics.flush()
    metrics.count_calls(finished[7:])
    metrics.flush()
    ours, theirs = CollectorRegistry(), CollectorRegistry()
    histogram = metrics.duration
    ours.register(histogram)
    reference = Histogram(
        DurationHistogram.name,
        "Tool call duration by server",
        ("server",),
        buckets=DURATION_BUCKETS,
        registry=theirs,
    )
    for server, _, seconds in calls:
        reference.labels(server).observe(seconds)

    def samples(registry: CollectorRegistry) -> list[str]:
        text = generate_latest(registry).decode()
        return sorted(line for line in text.splitlines() if "_created" not in line)

    assert samples(ours) == samples(theirs)
    histogram.remove("a")
    assert 'server="a"' not in generate_latest(ours).decode()


def test_calls_noted_in_bulk_reach_the_counters_when_flushed_or_when_many_wait() -> None:
    """A call is only noted until ``FLUSH_AT`` wait or the metrics are flushed (a scrape
    flushes first); failures (an error, or an ``isError`` result) and successes are counted
    apart, and a deleted server's noted calls go with it."""
    from mcphub_metrics.plugin import FLUSH_AT, HubMetrics
    from prometheus_client import CollectorRegistry

    metrics = HubMetrics(SimpleNamespace(metrics=CollectorRegistry()))  # type: ignore[arg-type]

    def finished(server: str, outcome: str) -> Any:
        call = ToolCall(server, "t", {}, None, started=0.0)
        call.finished = 0.5
        result = {"content": [], "isError": outcome == "isError"}
        error = ValueError() if outcome == "error" else None
        return (call, None if error else result, error)

    def counted() -> dict[tuple[str, str], float]:
        samples = next(iter(metrics.calls.collect())).samples
        totals = [s for s in samples if s.name.endswith("_total")]
        return {(s.labels["server"], s.labels["status"]): s.value for s in totals}

    metrics.count_calls([finished("a", "ok"), finished("a", "error"), finished("a", "isError")])
    metrics.count_calls([finished("gone", "ok")])
    assert metrics.calls_waiting == 4 and not counted()
    metrics.forget("gone")
    assert metrics.calls_waiting == 3
    metrics.flush()
    assert counted() == {("a", "success"): 1.0, ("a", "error"): 2.0}
    metrics.count_calls([finished("b", "ok")] * (FLUSH_AT - 1))
    assert metrics.calls_waiting == FLUSH_AT - 1 and ("b", "success") not in counted()
    metrics.count_calls([finished("b", "ok")])
    assert metrics.calls_waiting == 0 and counted()[("b", "success")] == FLUSH_AT
    histogram = next(iter(metrics.duration.collect())).samples
    at_half = [s.value for s in histogram if s.labels == {"server": "b", "le": "0.5"}]
    assert at_half == [float(FLUSH_AT)]
