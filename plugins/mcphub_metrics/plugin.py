"""Hookimpls and the ``/metrics`` route.

Noted as calls and requests finish (``after_tool_calls``, ``requests_counted``: the
observers hear of a few dozen at a time) and applied to the metric objects in bulk: tool
calls by server and status, their durations, HTTP requests by route template and status.
Read at scrape time instead (nothing on any hot path): upstream status, sessions by era,
and the process.
Labels are bounded: server names come from the configuration (or ``unknown``), routes from
the route table; tool names are never labels.
"""

from __future__ import annotations

import bisect
import time
from collections.abc import Iterator
from typing import Any

import tornado.web
from prometheus_client import Counter
from prometheus_client.core import GaugeMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.exposition import choose_encoder
from prometheus_client.gc_collector import GCCollector
from prometheus_client.platform_collector import PlatformCollector
from prometheus_client.process_collector import ProcessCollector
from prometheus_client.utils import floatToGoString

from hub.plugin_api import (
    APIHandler,
    ChangeEvent,
    FinishedCall,
    Hub,
    Kind,
    PerHub,
    Policy,
    hookimpl,
    tell_observers,
)

DURATION_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60)
"""Seconds; a hub adds about a millisecond, upstream tools take from that to minutes."""


FLUSH_AT = 1024
"""Calls noted at most before they are applied to the metric objects."""


class PendingCounts:
    """Brings the call path's counted events into the metrics before the registry is read.

    Registered first, so a scrape (or any read of the registry) collects it before the
    counters and histograms it updates."""

    def __init__(self, hub: Hub) -> None:
        self.hub = hub
        self.metrics: HubMetrics | None = None

    def collect(self) -> Iterator[Metric]:
        if self.metrics is not None:
            tell_observers(self.hub)  # every call and request that finished is counted
            self.metrics.flush()
        return iter(())


class DurationHistogram:
    """``mcphub_tool_call_duration_seconds`` by server, kept as plain counts.

    prometheus_client's ``Histogram.observe`` takes two locks and scans the buckets for
    each value; ``HubMetrics.flush`` hands this histogram a server's durations in bulk
    (``observe_all``): sorted once, each bucket is one ``bisect``."""

    name = "mcphub_tool_call_duration_seconds"

    def __init__(self) -> None:
        self.counts: dict[str, list[int]] = {}
        """Per server, how many durations were at most each bucket's bound, +Inf last."""
        self.sums: dict[str, float] = {}
        self._bounds = [*map(floatToGoString, DURATION_BUCKETS), "+Inf"]

    def observe_all(self, server: str, durations: list[float]) -> None:
        """Count ``durations`` (seconds) of ``server``'s calls."""
        counts = self.counts.get(server)
        if counts is None:
            counts = self.counts[server] = [0] * (len(DURATION_BUCKETS) + 1)
            self.sums[server] = 0.0
        ordered = sorted(durations)
        for index, bound in enumerate(DURATION_BUCKETS):
            counts[index] += bisect.bisect_right(ordered, bound)  # le is inclusive
        counts[-1] += len(ordered)
        self.sums[server] = sum(durations, self.sums[server])

    def remove(self, server: str) -> None:
        self.counts.pop(server, None)
        self.sums.pop(server, None)

    def collect(self) -> Iterator[Metric]:
        family = HistogramMetricFamily(
            self.name, "Tool call duration by server", labels=("server",)
        )
        for server, counts in self.counts.items():
            buckets = list(zip(self._bounds, counts, strict=True))
            family.add_metric((server,), buckets, self.sums[server])
        yield family


class HubMetrics:
    """One hub's metric objects, registered on ``hub.metrics``.

    A call is its duration appended to a list (its server's, successes or failures:
    ``count_calls``); the prometheus_client counter and the histogram take them in bulk
    when the registry is read or ``FLUSH_AT`` wait (``flush``). Requests come counted by
    route and status (``requests_counted``), a few counter updates per telling. Updating a
    labelled child per call, interleaved with everything else a call does, cost several
    times what the same updates cost in one tight loop; counting in bulk leaves the call
    path one ``append``.
    """

    def __init__(self, hub: Hub) -> None:
        registry = hub.metrics
        pending = PendingCounts(hub)
        registry.register(pending)
        self.calls = Counter(
            "mcphub_tool_calls",
            "Tool calls by server and status",
            ("server", "status"),
            registry=registry,
        )
        self.duration = DurationHistogram()
        registry.register(self.duration)
        self.reconnects = Counter(
            "mcphub_upstream_reconnects",
            "Times an upstream connected again after its first connection",
            ("server",),
            registry=registry,
        )
        self.requests = Counter(
            "mcphub_http_requests",
            "HTTP requests by route template and status code",
            ("route", "code"),
            registry=registry,
        )
        self.calls_seen: dict[str, tuple[list[float], list[float]]] = {}
        """Per server, the durations of the tool calls that succeeded and of those that
        failed, since the last flush."""
        self.calls_waiting = 0
        """Calls in ``calls_seen``."""

        pending.metrics = self
        self.last_status: dict[str, str] = {}
        self.ever_connected: set[str] = set()
        registry.register(ScrapeCollector(hub))
        ProcessCollector(registry=registry)
        PlatformCollector(registry=registry)
        GCCollector(registry=registry)

    def count_calls(self, calls: list[FinishedCall]) -> None:
        """Note finished calls: each one's duration, by server and outcome."""
        seen, clock = self.calls_seen, time.perf_counter
        for call, result, error in calls:
            durations = seen.get(call.server)
            if durations is None:
                durations = seen[call.server] = ([], [])
            failed = error is not None or (result is not None and bool(result.get("isError")))
            end = call.finished
            durations[failed].append((clock() if end is None else end) - call.started)
        self.calls_waiting += len(calls)
        if self.calls_waiting >= FLUSH_AT:
            self.flush()

    def count_requests(self, counts: dict[tuple[str, int], int]) -> None:
        """Count finished requests: how many by (route, status code)."""
        for (route, code), count in counts.items():
            self.requests.labels(route, str(code)).inc(count)

    def flush(self) -> None:
        """Apply the calls noted since the last flush to the metrics."""
        seen, self.calls_seen = self.calls_seen, {}
        self.calls_waiting = 0
        for server, (succeeded, failed) in seen.items():
            for status, durations in (("success", succeeded), ("error", failed)):
                if durations:
                    self.calls.labels(server, status).inc(len(durations))
            self.duration.observe_all(server, succeeded + failed)

    def upstream_status(self, server: str, status: str) -> None:
        """Count a reconnect when an upstream that was connected before connects again."""
        previous = self.last_status.get(server)
        self.last_status[server] = status
        if status != "connected" or previous == "connected":
            return
        if server in self.ever_connected:
            self.reconnects.labels(server).inc()
        self.ever_connected.add(server)

    def forget(self, server: str) -> None:
        """A deleted server's series go away with it (labels stay bounded by the config)."""
        self.calls_waiting -= sum(map(len, self.calls_seen.pop(server, ())))
        for status in ("success", "error"):
            self.calls.remove(server, status)  # nothing happens to a series never counted
        self.duration.remove(server)
        if server in self.ever_connected:
            self.ever_connected.discard(server)
            self.reconnects.remove(server)
        self.last_status.pop(server, None)


class ScrapeCollector:
    """Gauges read from the hub when scraped: upstreams up, sessions by era."""

    def __init__(self, hub: Hub) -> None:
        self.hub = hub

    def collect(self) -> Iterator[Metric]:
        hub = self.hub
        up = GaugeMetricFamily(
            "mcphub_upstream_up", "1 if the upstream is connected", labels=("server",)
        )
        for name in hub.config.servers:
            up.add_metric((name,), 1.0 if hub.upstreams.state(name).status == "connected" else 0.0)
        yield up
        sessions = GaugeMetricFamily(
            "mcphub_mcp_sessions", "Open downstream MCP sessions by protocol era", labels=("era",)
        )
        counts = {"2025-streamable": 0, "legacy-sse": 0}
        if hub.started:
            for session in hub.mcp.sessions:
                counts["legacy-sse" if session.legacy_sse else "2025-streamable"] += 1
        for era, count in counts.items():
            sessions.add_metric((era,), float(count))
        yield sessions


_metrics: PerHub[HubMetrics] = PerHub()


@hookimpl
def startup(hub: Hub) -> None:
    metrics = _metrics.get(hub)  # kept over a restart: its metrics are registered already
    if metrics is None:
        metrics = HubMetrics(hub)
    _metrics.set(hub, metrics)

    def on_event(event: ChangeEvent) -> None:
        if event.kind == Kind.UPSTREAM and event.detail.get("what") == "status" and event.record:
            if event.record not in hub.config.servers:
                metrics.forget(event.record)
            else:
                metrics.upstream_status(event.record, str(hub.upstreams.state(event.record).status))

    hub.bus.subscribe(on_event)


@hookimpl
def after_tool_calls(hub: Hub, calls: list[FinishedCall]) -> None:
    metrics = _metrics.get(hub)
    if metrics is not None:
        metrics.count_calls(calls)


@hookimpl
def requests_counted(hub: Hub, counts: dict[tuple[str, int], int]) -> None:
    metrics = _metrics.get(hub)
    if metrics is not None:
        metrics.count_requests(counts)


class MetricsHandler(APIHandler):
    """``GET /metrics``: Prometheus text, or OpenMetrics when ``Accept`` asks for it. An
    admin login or an all-access key, unless ``observability.publicMetrics`` is true."""

    policy = Policy.ADMIN

    def policy_for(self, method: str) -> Policy:
        public = self.hub.config.system.observability.public_metrics
        return Policy.PUBLIC if public else Policy.ADMIN

    async def get(self) -> None:
        encoder, content_type = choose_encoder(self.request.headers.get("Accept", ""))
        self.set_header("Content-Type", content_type)
        self.finish(encoder(self.hub.metrics))


@hookimpl
def register_routes(hub: Hub) -> list[tuple[str, type[tornado.web.RequestHandler], dict[str, Any]]]:
    return [(r"/metrics", MetricsHandler, {})]
