"""The address an anonymous MCP caller's sessions are counted by.

Without credentials a caller is known only by its address, and the per-caller session cap
(``sessions.maxPerPrincipal``) counts per address. Behind a reverse proxy every request
comes from the proxy, so every anonymous client would share one cap; with
``sessions.trustProxyHeaders`` on, the address the proxy reports is used instead. Only turn
it on when a proxy that sets the header stands in front: a client reaching the hub directly
could otherwise name any address.
"""

from __future__ import annotations

import ipaddress

import tornado.httputil


def _address(text: str) -> str | None:
    try:
        return str(ipaddress.ip_address(text.strip()))
    except ValueError:
        return None


def forwarded_address(headers: tornado.httputil.HTTPHeaders) -> str | None:
    """The client address a proxy reports: the last ``X-Forwarded-For`` hop (the one the
    nearest proxy appended; earlier ones are whatever the client sent), else
    ``X-Real-Ip``; None when neither holds an IP address."""
    hops = headers.get("X-Forwarded-For", "").split(",")
    return _address(hops[-1]) or _address(headers.get("X-Real-Ip", ""))


def client_address(request: tornado.httputil.HTTPServerRequest, trust_proxy: bool) -> str:
    """The caller's address: the peer's, or the forwarded one when the proxy is trusted."""
    peer = request.remote_ip or ""
    if not trust_proxy:
        return peer
    return forwarded_address(request.headers) or peer
