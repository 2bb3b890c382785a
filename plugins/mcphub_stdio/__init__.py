"""Upstream transport plugin: stdio."""
