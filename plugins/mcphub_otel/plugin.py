"""The ``otel`` plugin: hookimpls only when tracing is installed *and* configured.

Without the ``otel`` extra (``opentelemetry-sdk``), or without an exporter named by the
standard ``OTEL_*`` variables, this module defines no hookimpl at all: the hub then skips
the tool-call and request hooks it would have run (``Plugins.has_impl``), so tracing costs
nothing. It is configured when ``OTEL_TRACES_EXPORTER`` names an exporter (``otlp``,
``console``) or an OTLP endpoint is set (``OTEL_EXPORTER_OTLP_ENDPOINT``,
``OTEL_EXPORTER_OTLP_TRACES_ENDPOINT``), and ``OTEL_SDK_DISABLED`` is not ``true``.
"""

from __future__ import annotations

import os
from importlib.util import find_spec


def configured(environ: dict[str, str] | os._Environ[str] = os.environ) -> bool:
    """Whether the environment asks for traces (and the SDK is there to make them)."""
    if environ.get("OTEL_SDK_DISABLED", "").lower() == "true":
        return False
    exporter = environ.get("OTEL_TRACES_EXPORTER", "").strip().lower()
    if exporter == "none":
        return False
    wanted = bool(
        exporter
        or environ.get("OTEL_EXPORTER_OTLP_ENDPOINT")
        or environ.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
    )
    return wanted and find_spec("opentelemetry.sdk") is not None


if configured():
    from mcphub_otel.tracing import (  # noqa: F401 (hookimpls, collected by pluggy)
        after_tool_call,
        before_tool_call,
        request_finished,
        shutdown,
        startup,
    )
