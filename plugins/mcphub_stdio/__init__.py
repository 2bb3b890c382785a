"""Upstream transport plugin: stdio (a child process speaking MCP on stdin/stdout)."""
