"""Upstream transport plugin: streamable HTTP."""
