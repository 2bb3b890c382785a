"""The contract between the upstream manager and transport plugins: ``Target`` in,
a connection out, ``AuthRequired`` when the upstream wants credentials the hub lacks.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import Any, Protocol

from pydantic import ValidationError

from hub.config.models import ServerConfig, SystemConfig
from hub.upstream import egress, env_expansion


@dataclass(frozen=True)
class Target:
    """Everything a transport needs to open one upstream; expansion policy already chosen."""

    name: str
    config: ServerConfig
    system: SystemConfig
    allowed: Callable[[str], bool]
    """Which hub environment variables ``${VAR}`` may read for this config."""
    lost: Callable[[str], None] = lambda reason: None
    """Call when the transport knows the connection is gone (e.g. the process exited)."""
    guard_egress: bool = False
    """True when the config's owner may not reach internal addresses (``hub.upstream.egress``)."""

    def http_options(self, **transport: Any) -> dict[str, Any]:
        """Keyword arguments for every ``httpx2.AsyncClient`` this upstream's transport makes
        (``transport`` holds options of the connection layer, such as ``verify``)."""
        return egress.client_options(self.guard_egress, **transport)

    def expand(self, value: Any) -> Any:
        """``${VAR}`` expansion of a config value under this target's policy."""
        return env_expansion.expand(value, self.allowed)


class Transport(Protocol):
    """What a ``register_transports`` plugin registers under a kind (``stdio``, ``sse`` …).

    ``validate`` checks the transport's own fields of a config with its own pydantic model and
    raises ``ValueError`` with a one-line message. ``open`` returns an async context manager
    yielding either the ``(read_stream, write_stream)`` pair of an MCP connection (the manager
    runs the ``ClientSession`` over it) or an already initialized ``ClientSession``; leaving
    it must release everything (for a process: the whole process group). It is entered and
    left by the same task. The transport may raise ``AuthRequired`` when the upstream
    demands credentials the hub does not have.
    """

    def validate(self, config: ServerConfig) -> Any: ...

    def open(self, target: Target) -> AbstractAsyncContextManager[Any]: ...


class AuthRequired(Exception):
    """The upstream answered 401: status becomes ``oauth_required``."""


def one_line(exc: BaseException) -> str:
    """A readable one-line description of an error (no traceback), groups unwrapped."""
    while isinstance(exc, BaseExceptionGroup) and exc.exceptions:
        exc = exc.exceptions[0]
    if isinstance(exc, ValidationError):
        err = exc.errors()[0]
        loc = ".".join(str(p) for p in err.get("loc", ())) or "config"
        return f"{loc}: {err.get('msg', 'invalid')}"
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    name = type(exc).__name__
    return f"{name}: {text}" if text and name not in text else text or name
