"""Upstream transport plugin: sse."""
