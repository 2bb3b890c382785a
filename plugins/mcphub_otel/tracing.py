"""Spans: one per MCP (and REST tool) request, one per upstream tool call.

Imported only when tracing is configured (``mcphub_otel.plugin``). Each hub has its own
``TracerProvider`` (not the process-global one), exporting through a batch processor: OTLP
over HTTP by default, configured by the standard ``OTEL_EXPORTER_OTLP_*`` and ``OTEL_BSP_*``
variables, ``OTEL_SERVICE_NAME`` and ``OTEL_RESOURCE_ATTRIBUTES``. A caller's trace context
(a ``traceparent`` header, or ``params._meta.traceparent``) is the parent; the upstream call's
context goes to the upstream in ``params._meta`` (``traceparent``, ``tracestate``), MCP's own
carrier, which reaches HTTP and stdio upstreams alike.
"""

from __future__ import annotations

import asyncio
import os
import time
import weakref
from typing import Any

import tornado.web
from opentelemetry.context import Context
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import Span, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter, SpanExporter
from opentelemetry.trace import SpanKind, Status, StatusCode, Tracer, set_span_in_context
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

from hub.plugin_api import Hub, ToolCall, current_downstream, hookimpl

PROPAGATOR = TraceContextTextMapPropagator()
TRACED_ROUTES = ("/mcp", "/sse", "/messages", "/{user}/", "/api/tools/", "/api/{group}/tools/")
"""Route templates whose requests get a span (MCP and the REST tool calls)."""

_providers: weakref.WeakKeyDictionary[Hub, TracerProvider] = weakref.WeakKeyDictionary()
_tracers: weakref.WeakKeyDictionary[Hub, Tracer] = weakref.WeakKeyDictionary()
_spans: dict[int, Span] = {}
"""Open upstream-call spans by ``id(call)`` (a ToolCall is not hashable)."""


def exporter() -> SpanExporter:
    if os.environ.get("OTEL_TRACES_EXPORTER", "").strip().lower() == "console":
        return ConsoleSpanExporter()
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

    return OTLPSpanExporter()


@hookimpl
def startup(hub: Hub) -> None:
    attributes = {"service.version": hub.version}
    named = os.environ.get("OTEL_SERVICE_NAME") or "service.name=" in os.environ.get(
        "OTEL_RESOURCE_ATTRIBUTES", ""
    )
    if not named:  # the SDK would say "unknown_service"; the variables win over this default
        attributes["service.name"] = "mcphub"
    resource = Resource.create(attributes)
    provider = TracerProvider(resource=resource)
    provider.add_span_processor(BatchSpanProcessor(exporter()))
    _providers[hub] = provider
    _tracers[hub] = provider.get_tracer("mcphub", hub.version)


@hookimpl
async def shutdown(hub: Hub) -> None:
    _tracers.pop(hub, None)
    provider = _providers.pop(hub, None)
    if provider is not None:
        await asyncio.to_thread(provider.shutdown)  # flushes what is queued


def _parent(call: ToolCall) -> Context | None:
    carrier: dict[str, str] = {}
    downstream = current_downstream.get()
    if downstream is not None:
        for name in ("traceparent", "tracestate"):
            value = downstream.headers.get(name)
            if value:
                carrier[name] = value
    for name in ("traceparent", "tracestate"):
        value = call.meta.get(name)
        if isinstance(value, str):
            carrier[name] = value
    return PROPAGATOR.extract(carrier) if carrier else None


@hookimpl
def before_tool_call(hub: Hub, call: ToolCall) -> None:
    tracer = _tracers.get(hub)
    if tracer is None:
        return
    span = tracer.start_span(
        f"tools/call {call.tool}",
        context=_parent(call),
        kind=SpanKind.CLIENT,
        start_time=int(call.timestamp * 1e9),
        attributes={
            "mcp.method.name": "tools/call",
            "gen_ai.tool.name": call.tool,
            "mcphub.server": call.server,
            "mcphub.via": call.via,
        },
    )
    assert isinstance(span, Span)
    carrier: dict[str, str] = {}
    PROPAGATOR.inject(carrier, context=set_span_in_context(span))
    call.meta.update(carrier)
    _spans[id(call)] = span


@hookimpl
def after_tool_call(
    hub: Hub, call: ToolCall, result: dict[str, Any] | None, error: BaseException | None
) -> None:
    span = _spans.pop(id(call), None)
    if span is None:
        return
    if error is not None:
        span.set_status(Status(StatusCode.ERROR, str(error)))
        span.record_exception(error)
    elif result is not None and result.get("isError"):
        span.set_status(Status(StatusCode.ERROR, "tool returned isError"))
    span.end()


@hookimpl
def request_finished(hub: Hub, handler: tornado.web.RequestHandler, route: str) -> None:
    tracer = _tracers.get(hub)
    if tracer is None or not route.startswith(TRACED_ROUTES):
        return
    request = handler.request
    end = time.time_ns()
    start = end - int(request.request_time() * 1e9)
    carrier = {k: v for k in ("traceparent", "tracestate") if (v := request.headers.get(k))}
    span = tracer.start_span(
        f"{request.method} {route}",
        context=PROPAGATOR.extract(carrier) if carrier else None,
        kind=SpanKind.SERVER,
        start_time=start,
        attributes={
            "http.request.method": request.method or "",
            "http.route": route,
            "http.response.status_code": handler.get_status(),
        },
    )
    if handler.get_status() >= 500:
        span.set_status(Status(StatusCode.ERROR))
    span.end(end_time=end)
