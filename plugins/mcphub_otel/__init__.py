"""OpenTelemetry tracing (the ``otel`` extra): spans per MCP request and per upstream call."""
