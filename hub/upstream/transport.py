"""The contract between the hub and transport plugins, and what the hub asks of all of them.

A transport (``stdio``, ``sse``, ``streamable-http``, ``openapi`` or a third party's) owns
everything about its kind of upstream: which config fields it reads, how they are checked,
whether it takes a config that names no ``type`` (and in which order), whether such configs
need an admin, and how to open a connection. The core keeps no list of kinds: it asks the
registered transports (``hub.transports``) through ``kind_of`` and ``transport_for``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Hashable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import Any, Protocol

from pydantic import BaseModel, ValidationError

from hub.config.models import ServerConfig, SystemConfig
from hub.registry import Registry
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
    authorize: Callable[[str], None] = lambda url: None
    """Call with an authorization URL when the upstream's OAuth flow waits for a person to
    open it and consent: status becomes ``oauth_required`` and the API shows the URL."""
    save_oauth: Callable[[dict[str, Any]], Awaitable[None]] | None = None
    """Merge keys into the stored config's ``oauth`` section (tokens, registered client);
    the API masks them and they survive restarts. None: nowhere to keep them."""

    def http_options(self, **transport: Any) -> dict[str, Any]:
        """Keyword arguments for every ``httpx2.AsyncClient`` this upstream's transport makes
        (``transport`` holds options of the connection layer, such as ``verify``)."""
        return egress.client_options(self.guard_egress, **transport)

    def expand(self, value: Any) -> Any:
        """``${VAR}`` expansion of a config value under this target's policy."""
        return env_expansion.expand(value, self.allowed)


@dataclass(frozen=True)
class Claim:
    """How a transport takes a server config that names no ``type``.

    MCPHub infers the type of such a config (openapi section, else url, else command); here
    each transport says what it recognises and the hub asks them in ``order``, so a third
    party's transport takes part in the guess like the built-in ones.
    """

    order: int
    """Lowest is asked first. Built-ins: ``openapi`` 100, ``sse`` 200, ``stdio`` 300."""
    needs: str
    """What such a config must hold, for the error that lists every claim (``"a url"``)."""
    test: Callable[[ServerConfig], bool]
    """Whether a config without a type is this transport's."""


class Transport(Protocol):
    """What a ``register_transports`` plugin registers under a kind (``stdio``, ``sse`` …).

    The hub never looks inside a config on a transport's behalf: it asks ``claim`` which
    untyped configs are the transport's, ``validate`` whether a config is usable, and
    ``destination`` where it sends secrets. ``open`` returns an async context manager
    yielding either the ``(read_stream, write_stream)`` pair of an MCP connection (the
    manager runs the ``ClientSession`` over it), that pair with a direct link for forwarded
    requests (``hub.upstream.direct.Linked``), or an already initialized ``ClientSession``;
    leaving it must release everything (for a process: the whole process group). It is
    entered and left by the same task, and may raise ``AuthRequired`` when the upstream
    demands credentials the hub does not have.

    Optional: a ``pings_by_default = True`` attribute asks for keep-alive pings on configs
    that do not set ``enableKeepAlive`` (``hub.upstream.keepalive``); without it, only
    configs with ``enableKeepAlive: true`` are pinged.
    """

    # Read-only members (a plain class attribute satisfies them).
    @property
    def config_model(self) -> type[BaseModel]:
        """The pydantic model of the config fields this transport reads (other fields
        ignored); ``validate`` and ``open`` parse with it, its JSON schema documents them."""
        ...

    @property
    def claim(self) -> Claim | None:
        """How it takes configs without a ``type``; None: only configs that name it."""
        ...

    @property
    def privileged(self) -> bool:
        """True when its configs run code on the hub's machine (a child process): only
        admins may write them, and imported ones arrive disabled."""
        ...

    def validate(self, config: ServerConfig) -> ServerConfig:
        """Check the fields this transport reads; return the config to store (the same one,
        or a copy with MCPHub's defaults filled in). Raise ``ValueError`` (a
        ``pydantic.ValidationError`` is one) with a one-line message the API shows after
        ``Invalid server config:``. Values holding ``${VAR}`` are checked after expansion,
        in ``open``. Called for every API write and before every connect."""
        ...

    def destination(self, config: ServerConfig) -> Hashable:
        """Where this config's requests and secrets go (a URL's origin, a command). An edit
        may keep masked secrets of the stored config only when kind and destination stay."""
        ...

    def open(self, target: Target) -> AbstractAsyncContextManager[Any]:
        """Connect to the upstream ``target`` describes (see the class docstring)."""
        ...


Transports = Registry[Transport]
"""The hub's registered transports by kind (``hub.transports``)."""


def claims(transports: Transports) -> list[tuple[str, Claim]]:
    """The claims of the registered transports in the order they are asked (kind breaks ties)."""
    found = [(kind, t.claim) for kind, t in transports.items() if t.claim is not None]
    return sorted(found, key=lambda item: (item[1].order, item[0]))


def kind_of(transports: Transports, config: ServerConfig) -> str | None:
    """The config's transport kind: its ``type``, else the first transport claiming it."""
    if config.type:
        return config.type
    return next((kind for kind, claim in claims(transports) if claim.test(config)), None)


def transport_for(transports: Transports, config: ServerConfig) -> Transport | None:
    """The registered transport for a config, or None when none is (or claims it)."""
    kind = kind_of(transports, config)
    return transports.get(kind) if kind else None


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
