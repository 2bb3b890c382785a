"""The downstream MCP endpoint: what every MCP client talks to."""
