"""The settings-file store: ``mcp_settings.json`` itself is the live configuration."""
