"""mcphub-py: many upstream MCP servers served as one MCP server, with a REST API."""

from hub.hookspecs import hookimpl

__all__ = ["__version__", "hookimpl"]
__version__ = "0.1.0"
