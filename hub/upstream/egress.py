"""Outbound connection guard for upstream URLs that normal users configure (SSRF defence).

A user who may add an HTTP upstream must not be able to make the hub dial its own loopback,
the cloud metadata service or the private network. The check runs when the socket is
opened, on the addresses the name resolved to, and the connection goes to the address that
was checked (no second lookup a rebinding DNS server could answer differently). Every
spelling of an address (decimal, octal, IPv4-mapped IPv6, NAT64, 6to4, Teredo) reaches the
check as the address it really is.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterable
from typing import Any

import anyio
import httpcore2
import httpx2

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

_NAT64 = (ipaddress.ip_network("64:ff9b::/96"), ipaddress.ip_network("64:ff9b:1::/48"))


class EgressRefused(httpcore2.ConnectError):
    """The upstream address is internal and the config's owner may not reach it."""


def embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address carries (mapped, NAT64, 6to4, Teredo), if any."""
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip.teredo is not None:
        return ip.teredo[1]
    if any(ip in net for net in _NAT64):
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def is_internal(ip: IPAddress) -> bool:
    """Loopback, private, link-local (metadata), shared, reserved, unspecified or multicast."""
    if isinstance(ip, ipaddress.IPv6Address):
        inner = embedded_ipv4(ip)
        if inner is not None and is_internal(inner):
            return True
    return not ip.is_global or ip.is_multicast


async def resolve(host: str, port: int) -> list[IPAddress]:
    """Every address ``host`` resolves to (literal addresses in any spelling included)."""
    infos = await anyio.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [ipaddress.ip_address(info[4][0].split("%")[0]) for info in infos]


class GuardedBackend(httpcore2.AsyncNetworkBackend):
    """Resolves, refuses internal addresses, then connects to the address it checked."""

    def __init__(self, inner: httpcore2.AsyncNetworkBackend | None = None) -> None:
        self.inner = inner or httpcore2.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109 - httpcore's backend interface
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore2.AsyncNetworkStream:
        try:
            addresses = await resolve(host, port)
        except OSError as exc:
            raise httpcore2.ConnectError(f"cannot resolve {host}: {exc}") from exc
        refused = [a for a in addresses if is_internal(a)]
        if refused or not addresses:
            raise EgressRefused(
                f"refused: {host} resolves to an internal address ({refused[0] if refused else '?'})"
            )
        return await self.inner.connect_tcp(
            str(addresses[0]), port, timeout, local_address, socket_options
        )

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,  # noqa: ASYNC109 - httpcore's backend interface
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore2.AsyncNetworkStream:
        raise EgressRefused("refused: unix sockets are not reachable for this config")

    async def sleep(self, seconds: float) -> None:
        await self.inner.sleep(seconds)


class GuardedTransport(httpx2.AsyncHTTPTransport):
    """An httpx2 transport whose every connection (redirects included) passes the guard."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(trust_env=False, **kwargs)
        # Rebuild the pool with our network backend; the transport offers no other seam.
        self._pool = httpcore2.AsyncConnectionPool(
            ssl_context=self._pool._ssl_context,
            network_backend=GuardedBackend(),
        )


def client_options(guard: bool, **transport: Any) -> dict[str, Any]:
    """Keyword arguments for ``httpx2.AsyncClient`` that apply the guard when asked.

    Guarded clients ignore ``HTTP(S)_PROXY``: a proxy would make the connection for us,
    out of the guard's sight.
    """
    if not guard:
        return {"trust_env": True, **transport}
    return {"trust_env": False, "transport": GuardedTransport(**transport)}
