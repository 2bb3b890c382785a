"""HTTP/1.1 response framing for the lean transport, by ``httptools`` (llhttp).

llhttp is the parser of Node.js, and ``httptools`` is the binding uvicorn uses: it knows
status lines, header syntax, chunked bodies, trailers, interim (1xx) answers and the
conflicts a hostile server can build from them (``Content-Length`` with
``Transfer-Encoding``, duplicate or signed lengths, chunk sizes that overflow). What it
leaves to us: a bound on the head (64 KiB, interim answers included), bodies of ``HEAD``
answers (llhttp cannot know the method of a response), the end of bodies framed by the
connection closing, and whether the connection may serve the next request.
"""

from __future__ import annotations

import httptools
import httpx2

_NOTED = {
    b"content-length": "length",
    b"transfer-encoding": "transfer",
    b"content-type": "type",
    b"set-cookie": "not-plain",
    b"content-encoding": "not-plain",
}
"""Header names whose values the frame notes as they are parsed (lower case)."""

MAX_HEAD = 64 * 1024
"""Bytes of response head (status lines and headers, interim answers included) accepted."""


class ResponseFrame:
    """One response being parsed: feed it bytes, read ``status``, ``headers``, ``body``.

    ``head_done`` once the final head was read; ``done`` once the whole message was (for a
    ``HEAD`` request, at the head). ``keep_alive`` says whether the connection may carry the
    next request; anything after the message (a second message, junk) clears it.
    """

    __slots__ = (
        "_head_bytes",
        "_head_only",
        "_interim",
        "_json",
        "_length_framed",
        "_parser",
        "_plain",
        "body",
        "done",
        "head_done",
        "headers",
        "keep_alive",
        "reason",
        "status",
    )

    def __init__(self, head_only: bool) -> None:
        self._parser: httptools.HttpResponseParser | None = httptools.HttpResponseParser(self)
        self._head_only = head_only
        self._head_bytes = 0
        self._interim = False
        self._length_framed = False
        self._json = False
        self._plain = True
        self.status = 0
        self.reason = b""
        self.headers: list[tuple[bytes, bytes]] = []
        self.body: list[bytes] = []
        self.head_done = False
        self.done = False
        self.keep_alive = False

    @property
    def answered(self) -> bool:
        """Whether any byte of an answer arrived (a request that got none may be re-sent)."""
        return self._head_bytes > 0 or self.head_done

    def feed(self, data: bytes) -> None:
        """Parse received bytes; ``httpx2.RemoteProtocolError`` when they are not HTTP."""
        parser = self._parser
        if parser is None:  # the message was complete: whatever follows ends keep-alive
            if data:
                self.keep_alive = False
            return
        if not self.head_done:
            self._head_bytes += len(data)
        try:
            parser.feed_data(data)
        except httptools.HttpParserUpgrade:
            raise httpx2.RemoteProtocolError("unrequested protocol switch (HTTP 101)") from None
        except httptools.HttpParserError as exc:
            if self.done:  # junk after a complete message: keep the message, drop the link
                self.keep_alive = False
                self._parser = None
                return
            raise httpx2.RemoteProtocolError(f"malformed response: {exc}") from None
        if self.done:
            self._parser = None  # as ``close``: nothing more to parse
        elif not self.head_done and self._head_bytes > MAX_HEAD:
            raise httpx2.RemoteProtocolError(f"response head larger than {MAX_HEAD} bytes")

    def take_body(self) -> bytes:
        """The body bytes parsed so far, in one piece; the frame keeps none of them."""
        parts, self.body = self.body, []
        return parts[0] if len(parts) == 1 else b"".join(parts)

    def plain_json(self) -> bool:
        """A JSON body that needs nothing done to it: no cookie to keep, no encoding."""
        return self._json and self._plain

    def eof(self) -> None:
        """The server closed its end: the end of a body framed by the close, else an error."""
        if self.done:
            return
        if self.head_done and not self._length_framed:
            self.done = True
            self.keep_alive = False
            return
        where = "body" if self.head_done else "head"
        raise httpx2.RemoteProtocolError(f"server closed the connection in the response {where}")

    def close(self) -> None:
        """Done with this response: let the parser go. It holds our bound callbacks and we
        hold it, so without this the pair waits for the cycle collector."""
        self._parser = None
        self.keep_alive = self.keep_alive and self.done

    # ------------------------------------------------------------------ llhttp callbacks

    def on_message_begin(self) -> None:
        if self.done:
            self.keep_alive = False  # a second message nobody asked for
        self.reason = b""
        self.headers = []
        self._length_framed = False
        self._json = False
        self._plain = True

    def on_status(self, reason: bytes) -> None:
        self.reason += reason  # may arrive in pieces

    def on_header(self, name: bytes, value: bytes) -> None:
        self.headers.append((name, value))
        noted = _NOTED.get(name.lower())
        if noted is None:
            return
        if noted == "length" or (noted == "transfer" and b"chunked" in value.lower()):
            self._length_framed = True
        elif noted == "type":
            self._json = value.lower().startswith(b"application/json")
        elif noted == "not-plain":
            self._plain = False

    def on_headers_complete(self) -> None:
        parser = self._parser
        assert parser is not None  # called from feed_data, while the parser is ours
        status = parser.get_status_code()
        if 100 <= status < 200 and status != 101:
            self._interim = True  # 100 Continue, 103 Early Hints: no body, the answer follows
            return
        self.status = status
        self.head_done = True
        self.keep_alive = parser.should_keep_alive()
        if self._head_only or status in (204, 304):
            self._length_framed = True
        if self._head_only:
            self.done = True

    def on_body(self, body: bytes) -> None:
        if self.done:  # a body after a HEAD answer: the server and we disagree on framing
            self.keep_alive = False
            return
        self.body.append(body)

    def on_message_complete(self) -> None:
        if self._interim:
            self._interim = False
            return
        self.done = True
