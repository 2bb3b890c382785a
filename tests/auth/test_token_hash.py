"""A request's credential is hashed once however many authenticators look it up."""

from __future__ import annotations

import hashlib

import tornado.httputil

from hub.auth import tokens


def request_to_mcp() -> tornado.httputil.HTTPServerRequest:
    start = tornado.httputil.RequestStartLine("POST", "/mcp", "HTTP/1.1")
    return tornado.httputil.HTTPServerRequest(
        start_line=start, headers=tornado.httputil.HTTPHeaders({"Host": "127.0.0.1"})
    )


def test_a_requests_token_is_hashed_once_and_only_for_that_token() -> None:
    request = request_to_mcp()
    first = tokens.request_token_hash(request, "key-one")
    assert first == hashlib.sha256(b"key-one").hexdigest()
    # The second authenticator asking gets the digest kept on the request, not a new hash.
    memo = request._mcphub_token_hash  # type: ignore[attr-defined]
    assert tokens.request_token_hash(request, "key-one") is memo[1]
    # Another token on the same request is hashed for itself.
    assert tokens.request_token_hash(request, "key-two") == hashlib.sha256(b"key-two").hexdigest()
    other = request_to_mcp()
    assert not hasattr(other, "_mcphub_token_hash")
