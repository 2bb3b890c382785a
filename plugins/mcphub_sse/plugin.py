"""Registers the sse transport (implementation pending in issue 3)."""
