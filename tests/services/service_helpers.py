"""Principals and configs shared by the service tests (fixtures are in conftest.py)."""

from __future__ import annotations

from typing import Any

from hub.auth.principal import Principal
from hub.config.models import ServerConfig

ADMIN = Principal(name="admin", is_admin=True)
ALICE = Principal(name="alice", is_admin=False)
ALL_KEY = Principal(name="key:ops", is_admin=True, kind="key", key_id="k0", access_type="all")
"""An all-access bearer key: admin rights on servers, but no say over users, keys or settings."""
STRONG = "Str0ng!pass"


def remote(**extra: Any) -> ServerConfig:
    """A disabled remote server: valid to every rule, and it never connects anywhere."""
    return ServerConfig.model_validate(
        {"type": "streamable-http", "url": "http://127.0.0.1:9/mcp", "enabled": False, **extra}
    )
