"""Upstream transport plugin: legacy HTTP+SSE."""
