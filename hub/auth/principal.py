"""Who is calling (``Principal``) and what a route requires of them (``Policy``)."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any


class Policy(enum.Enum):
    """What a route requires of its caller. Every route declares one."""

    PUBLIC = "public"
    """Anyone, no credentials."""
    AUTHENTICATED = "authenticated"
    """Any valid principal."""
    OWNER = "owner"
    """Any valid principal; the handler limits it to what the principal owns."""
    ADMIN = "admin"
    """An admin user, or an all-access bearer key."""


@dataclass(frozen=True)
class Principal:
    """The caller of a request after authentication."""

    name: str
    is_admin: bool
    kind: str = "user"
    """``user`` (JWT), ``key`` (bearer key), ``oauth`` (hub-issued access token)."""
    key_id: str | None = None
    access_type: str = "all"
    allowed_groups: tuple[str, ...] = ()
    allowed_servers: tuple[str, ...] = ()
    host_execution: bool = False
    """A bearer key marked ``allowHostExecution``: it may also run programs on the host."""
    claims: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)

    @property
    def permissions(self) -> list[str]:
        """MCPHub's permission list: ``['*', 'x']`` for admins, ``['']`` otherwise."""
        return ["*", "x"] if self.is_admin else [""]

    def owns(self, owner: str | None) -> bool:
        """Admins own everything; users own what names them (unowned means ``admin``)."""
        return self.is_admin or (owner or "admin") == self.name


# --------------------------------------------------------------------- passwords
