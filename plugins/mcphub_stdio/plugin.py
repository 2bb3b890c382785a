"""Registers the stdio transport (implementation pending in issue 3)."""
