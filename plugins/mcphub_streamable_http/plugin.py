"""Registers the streamable_http transport (implementation pending in issue 3)."""
