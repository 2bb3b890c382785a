"""Upstream transport plugin: streamable_http."""
