"""Tracing (the ``otel`` extra): spans reach a real OTLP/HTTP endpoint, context reaches the
upstream; without configuration the plugin adds no hookimpl at all."""

from __future__ import annotations

import json
import re
import signal
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx2
import mcphub_otel.plugin as otel_plugin
import pytest
import tornado.httpserver
import tornado.netutil
import tornado.web
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)

from hub.server import HubServer
from hub.testing import McpSession, wait_for
from tests.api_fixtures import stdio_config
from tests.hubproc import HubProcess

TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
CLIENT_SPAN = "00f067aa0ba902b7"


class Collector(tornado.web.RequestHandler):
    """A fake OTLP/HTTP collector: keeps every span it is sent."""

    def initialize(self, spans: list[dict[str, Any]]) -> None:
        self.spans = spans

    def post(self) -> None:
        request = ExportTraceServiceRequest()
        request.ParseFromString(self.request.body)
        for resource in request.resource_spans:
            service = next(
                a.value.string_value
                for a in resource.resource.attributes
                if a.key == "service.name"
            )
            for scope in resource.scope_spans:
                for span in scope.spans:
                    self.spans.append(
                        {
                            "service": service,
                            "name": span.name,
                            "trace": span.trace_id.hex(),
                            "id": span.span_id.hex(),
                            "parent": span.parent_span_id.hex(),
                            "kind": span.kind,
                        }
                    )
        self.set_header("Content-Type", "application/x-protobuf")
        self.finish(ExportTraceServiceResponse().SerializeToString())


@pytest.fixture
async def collector() -> AsyncIterator[tuple[str, list[dict[str, Any]]]]:
    spans: list[dict[str, Any]] = []
    app = tornado.web.Application([(r"/v1/traces", Collector, {"spans": spans})])
    sockets = tornado.netutil.bind_sockets(0, "127.0.0.1")
    server = tornado.httpserver.HTTPServer(app)
    server.add_sockets(sockets)
    yield f"http://127.0.0.1:{sockets[0].getsockname()[1]}/v1/traces", spans
    server.stop()
    await server.close_all_connections()


@pytest.mark.slow  # a hub child process with a stdio upstream
async def test_spans_are_exported_and_context_reaches_the_upstream(
    tmp_path: Path, collector: tuple[str, list[dict[str, Any]]]
) -> None:
    endpoint, spans = collector
    events = tmp_path / "events.txt"
    config = stdio_config(env={"UPSTREAM_EVENTS_FILE": str(events)})
    settings = tmp_path / "mcp_settings.json"
    settings.write_text(json.dumps({"mcpServers": {"ev": config}}))
    env = {
        "ADMIN_PASSWORD": "Trace-pass-1!",
        "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": endpoint,
        "OTEL_BSP_SCHEDULE_DELAY": "50",
        "OTEL_SERVICE_NAME": "hub-under-test",
    }
    hub = await HubProcess(tmp_path, env, "--settings", str(settings)).start()
    try:
        async with httpx2.AsyncClient(base_url=hub.url, timeout=30) as http:
            r = await http.post(
                "/api/auth/login", json={"username": "admin", "password": "Trace-pass-1!"}
            )
            headers = {"x-auth-token": r.json()["token"]}
            await http.post("/api/servers/ev/toggle", json={"enabled": True}, headers=headers)

            async def connected() -> bool:
                r = await http.get("/api/servers/ev", headers=headers)
                return bool(r.json()["data"]["status"] == "connected")

            await wait_for(connected, 30)
            traced = {**headers, "traceparent": f"00-{TRACE_ID}-{CLIENT_SPAN}-01"}
            session = await McpSession.open(hub.url, "/mcp", traced)
            try:
                assert (await session.call_tool("ev-echo", {"text": "t"}))["content"]
            finally:
                await session.close()

            def exported() -> bool:
                names = {s["name"] for s in spans if s["trace"] == TRACE_ID}
                return {"tools/call echo", "POST /mcp"} <= names

            await wait_for(exported, 15)
    finally:
        await hub.stop(signal.SIGTERM)
    call = next(s for s in spans if s["name"] == "tools/call echo")
    request = next(s for s in spans if s["name"] == "POST /mcp" and s["trace"] == TRACE_ID)
    assert call["service"] == "hub-under-test"
    assert call["trace"] == TRACE_ID and call["parent"] == CLIENT_SPAN
    assert request["parent"] == CLIENT_SPAN
    # The upstream received the call span's context in params._meta.
    seen = re.findall(r"^traceparent (\S+)$", events.read_text(), re.MULTILINE)
    assert seen == [f"00-{TRACE_ID}-{call['id']}-01"]


def test_tracing_is_on_only_when_configured() -> None:
    assert not otel_plugin.configured({})
    assert otel_plugin.configured({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4318"})
    assert otel_plugin.configured({"OTEL_TRACES_EXPORTER": "console"})
    assert not otel_plugin.configured({"OTEL_TRACES_EXPORTER": "none"})
    assert not otel_plugin.configured({"OTEL_SDK_DISABLED": "true", "OTEL_TRACES_EXPORTER": "otlp"})


async def test_unconfigured_tracing_adds_no_hook(hub_server: HubServer) -> None:
    """This suite sets no OTEL_* variable: the plugin is loaded but implements nothing, so
    the hub's call path skips it."""
    plugins = hub_server.hub.plugins
    assert "otel" in {p.name for p in plugins.info()}
    assert next(p for p in plugins.info() if p.name == "otel").hooks == []
    assert not hasattr(otel_plugin, "before_tool_call")
