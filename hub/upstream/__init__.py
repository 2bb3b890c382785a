"""Upstream MCP servers: the manager, one session owner per server, relays and lists."""
