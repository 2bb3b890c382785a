"""sse and streamable-HTTP upstreams through a real hub: calls, headers, auth, faults."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx2
import pytest
import tornado.httpserver
import tornado.netutil
import tornado.web

from hub.config.models import CallOptions, ServerConfig, User
from hub.errors import UpstreamError
from hub.server import HubServer
from hub.upstream.calls import current_downstream
from hub.upstream.state import Status
from tests.upstreams_fixtures import (
    FakeDownstream,
    HttpUpstream,
    start_http,
    wait_for,
    wait_status,
)

TOKEN = "s3cret-upstream-token"
EVERYTHING = "tests.upstreams.everything"


@pytest.fixture(scope="module")
def upstreams(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, HttpUpstream]]:
    """The module's HTTP upstreams, started once (in parallel: each imports the SDK)."""
    tmp = tmp_path_factory.mktemp("http-upstreams")
    specs = {
        "shttp": (EVERYTHING, "streamable-http", ()),
        "sse": (EVERYTHING, "sse", ()),
        "hang": ("tests.upstreams.hang", "streamable-http", ()),
        "bearer": (EVERYTHING, "streamable-http", ("--bearer", TOKEN)),
    }
    started: dict[str, HttpUpstream] = {}
    try:
        for key, (module, transport, args) in specs.items():
            started[key] = start_http(module, transport, tmp / f"{key}.events", *args)
        yield started
    finally:
        for upstream in started.values():
            upstream.stop()


def with_downstream(downstream: FakeDownstream) -> contextlib.AbstractContextManager[None]:
    @contextlib.contextmanager
    def scope() -> Iterator[None]:
        token = current_downstream.set(downstream)
        try:
            yield
        finally:
            current_downstream.reset(token)

    return scope()


async def test_connect_list_and_call_over_both_transports(
    hub_server: HubServer, upstreams: dict[str, HttpUpstream]
) -> None:
    hub = hub_server.hub
    # A url without a type is legacy SSE, as in MCPHub.
    await hub.config.put_server("sse", ServerConfig(url=upstreams["sse"].url), create=True)
    config = ServerConfig(type="streamable-http", url=upstreams["shttp"].url)
    await hub.config.put_server("shttp", config, create=True)
    for name in ("sse", "shttp"):
        await wait_status(hub, name, Status.CONNECTED)
        state = hub.upstreams.state(name)
        assert len(state.tools) == 26, name
        assert {p["name"] for p in state.prompts} == {"greet", "simple"}
        assert len(state.resources) == 2 and len(state.resource_templates) == 1
        result = await hub.upstreams.call_tool(name, "add", {"a": 2, "b": 3})
        assert result["structuredContent"] == {"result": 5}
        image = await hub.upstreams.call_tool(name, "image")
        assert image["content"][0]["annotations"]["priority"] == 0.5
        assert image["_meta"] == {"test/kind": "image"}
    await hub.upstreams.call_tool("shttp", "add_tool", {"name": "late_tool"})
    await wait_for(
        lambda: any(t["name"] == "late_tool" for t in hub.upstreams.state("shttp").tools), 5
    )


async def test_progress_resets_the_timeout_until_the_total_cap(
    hub_server: HubServer, upstreams: dict[str, HttpUpstream]
) -> None:
    hub = hub_server.hub
    config = ServerConfig(
        type="streamable-http", url=upstreams["shttp"].url, options=CallOptions(timeout=400)
    )
    await hub.config.put_server("slow", config, create=True)
    await wait_status(hub, "slow", Status.CONNECTED)
    downstream = FakeDownstream()
    with with_downstream(downstream):
        result = await hub.upstreams.call_tool("slow", "slow", {"seconds": 1.0})
    assert result["content"][0]["text"] == "slept 1.0"
    assert len(downstream.progress_seen) >= 5  # relayed to the caller

    capped = config.model_copy(update={"options": CallOptions(timeout=400, max_total_timeout=600)})
    await hub.config.put_server("slow", capped)
    assert hub.upstreams.state("slow").status is Status.CONNECTED  # options need no reconnect
    start = time.monotonic()
    with pytest.raises(UpstreamError, match="timed out after"):
        await hub.upstreams.call_tool("slow", "slow", {"seconds": 1.0})
    assert 0.55 < time.monotonic() - start < 1.0
    events = upstreams["shttp"]
    await wait_for(lambda: "cancelled slow" in events.events_seen(), 5)


async def test_hung_http_upstream_times_out_and_is_cancelled(
    hub_server: HubServer, upstreams: dict[str, HttpUpstream]
) -> None:
    hub = hub_server.hub
    hang = ServerConfig(
        type="streamable-http", url=upstreams["hang"].url, options=CallOptions(timeout=300)
    )
    await hub.config.put_server("hang", hang, create=True)
    await hub.config.put_server(
        "ok", ServerConfig(type="streamable-http", url=upstreams["shttp"].url), create=True
    )
    await wait_status(hub, "hang", Status.CONNECTED)
    await wait_status(hub, "ok", Status.CONNECTED)
    before = len(upstreams["hang"].events_seen())
    hung = asyncio.create_task(hub.upstreams.call_tool("hang", "hang"))
    echo = await hub.upstreams.call_tool("ok", "echo", {"text": "meanwhile"})
    assert echo["structuredContent"] == {"text": "meanwhile"}
    with pytest.raises(UpstreamError, match="timed out"):
        await hung
    await wait_for(lambda: upstreams["hang"].saw("cancelled", before), 5)
    assert upstreams["hang"].events_seen()[-1].startswith("cancelled")


async def test_sampling_goes_to_the_caller_of_each_call(
    hub_server: HubServer, upstreams: dict[str, HttpUpstream]
) -> None:
    hub = hub_server.hub
    config = ServerConfig(type="streamable-http", url=upstreams["shttp"].url)
    await hub.config.put_server("s", config, create=True)
    await wait_status(hub, "s", Status.CONNECTED)

    def answer(text: str) -> FakeDownstream:
        reply = {"role": "assistant", "content": {"type": "text", "text": text}, "model": "m"}
        return FakeDownstream(answers={"sampling/createMessage": reply})

    async def sample(downstream: FakeDownstream) -> str:
        with with_downstream(downstream):
            result = await hub.upstreams.call_tool("s", "sample", {"prompt": "q"})
        return str(result["content"][0]["text"])

    first, second = answer("for A"), answer("for B")
    assert await asyncio.gather(sample(first), sample(second)) == ["for A", "for B"]
    assert len(first.requests) == len(second.requests) == 1


class _Recorder(tornado.web.RequestHandler):
    """Forwards MCP POST/DELETE to the upstream and records the headers it received."""

    FORWARD = ("content-type", "accept", "mcp-session-id", "mcp-protocol-version")

    def initialize(
        self, target: str, seen: list[dict[str, str]], http: Any, cookie: str | None = None
    ) -> None:
        self.target, self.seen, self.http, self.cookie = target, seen, http, cookie

    async def _forward(self, method: str) -> None:
        self.seen.append({k.lower(): v for k, v in self.request.headers.get_all()})
        headers = {k: v for k, v in self.request.headers.get_all() if k.lower() in self.FORWARD}
        r = await self.http.request(
            method, self.target, content=self.request.body or None, headers=headers
        )
        self.set_status(r.status_code)
        for name in ("content-type", "mcp-session-id"):
            if name in r.headers:
                self.set_header(name, r.headers[name])
        if self.cookie is not None and b'"tools/call"' in (self.request.body or b""):
            self.set_header("Set-Cookie", f"{self.cookie}; Path=/")
        self.finish(r.content)

    async def post(self) -> None:
        await self._forward("POST")

    async def delete(self) -> None:
        await self._forward("DELETE")

    async def get(self) -> None:
        self.set_status(405)
        self.finish()


@contextlib.asynccontextmanager
async def recording_proxy(
    target: str, cookie: str | None = None
) -> AsyncIterator[tuple[str, list[dict[str, str]]]]:
    """An HTTP proxy in front of ``target`` recording the headers of each request; with
    ``cookie``, it answers a tools/call with that ``Set-Cookie``."""
    seen: list[dict[str, str]] = []
    async with httpx2.AsyncClient(timeout=30) as http:
        options = {"target": target, "seen": seen, "http": http, "cookie": cookie}
        app = tornado.web.Application([(r"/mcp", _Recorder, options)])
        sockets = tornado.netutil.bind_sockets(0, "127.0.0.1", family=socket.AF_INET)
        server = tornado.httpserver.HTTPServer(app)
        server.add_sockets(sockets)
        try:
            yield f"http://127.0.0.1:{sockets[0].getsockname()[1]}/mcp", seen
        finally:
            server.stop()
            await server.close_all_connections()


async def test_static_and_passthrough_headers(
    hub_server: HubServer, upstreams: dict[str, HttpUpstream], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HUBTEST_STATIC", "static-value")
    monkeypatch.setenv("JWT_SECRET", "never-sent")
    hub = hub_server.hub
    async with recording_proxy(upstreams["shttp"].url) as (url, seen):
        config = ServerConfig(
            type="streamable-http",
            url=url,
            headers={"X-Static": "${HUBTEST_STATIC}", "X-Jwt": "${JWT_SECRET}"},
            passthrough_headers=["X-Trace-Id"],
        )
        await hub.config.put_server("p", config, create=True)
        await wait_status(hub, "p", Status.CONNECTED)
        assert all(h.get("x-static") == "static-value" for h in seen)
        assert all("never-sent" not in str(h) for h in seen)
        assert not any("x-trace-id" in h for h in seen)

        downstream = FakeDownstream(headers={"x-trace-id": "trace-123", "X-Other": "no"})
        with with_downstream(downstream):
            await hub.upstreams.call_tool("p", "echo", {"text": "with trace"})
        traced = [h for h in seen if h.get("x-trace-id") == "trace-123"]
        assert len(traced) == 1
        assert "x-other" not in traced[0]
        await hub.upstreams.call_tool("p", "echo", {"text": "no caller"})
        assert len([h for h in seen if "x-trace-id" in h]) == 1
        await hub.config.delete_server("p")


async def test_a_cookie_an_upstream_sets_is_sent_back(
    hub_server: HubServer, upstreams: dict[str, HttpUpstream]
) -> None:
    """Forwarded calls skip httpx2 until the upstream sets a cookie (a sticky load balancer,
    say); from then on they carry it."""
    hub = hub_server.hub
    async with recording_proxy(upstreams["shttp"].url, cookie="route=b2") as (url, seen):
        await hub.config.put_server("c", ServerConfig(type="streamable-http", url=url), create=True)
        await wait_status(hub, "c", Status.CONNECTED)
        first = await hub.upstreams.call_tool("c", "echo", {"text": "one"})
        assert first["content"][0]["text"] == "one"
        assert "cookie" not in seen[-1]
        await hub.upstreams.call_tool("c", "echo", {"text": "two"})
        assert seen[-1].get("cookie") == "route=b2"
        await hub.config.delete_server("c")


async def test_bearer_upstream_needs_its_header(
    hub_server: HubServer, upstreams: dict[str, HttpUpstream], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HUBTEST_TOKEN", TOKEN)
    hub = hub_server.hub
    url = upstreams["bearer"].url
    auth = {"Authorization": "Bearer ${HUBTEST_TOKEN}"}
    await hub.config.put_user(User(username="bob", password="x"), create=True)
    # The upstream is on loopback: let users' configs reach it (hub.upstream.egress refuses otherwise).
    system = hub.config.system
    egress = system.egress.model_copy(update={"allow_internal": True})
    await hub.config.put_system(system.model_copy(update={"egress": egress}))
    await hub.config.put_server("none", ServerConfig(type="streamable-http", url=url), create=True)
    await hub.config.put_server(
        "admin", ServerConfig(type="streamable-http", url=url, headers=auth), create=True
    )
    await hub.config.put_server(
        "bobs",
        ServerConfig(type="streamable-http", url=url, headers=auth, owner="bob"),
        create=True,
    )
    await wait_status(hub, "admin", Status.CONNECTED)
    await wait_status(hub, "none", Status.OAUTH_REQUIRED)
    assert "401" in (hub.upstreams.state("none").error or "")
    # A normal user's header may not read the hub's environment, so it gets no token.
    await wait_status(hub, "bobs", Status.OAUTH_REQUIRED)


async def test_refused_connection_is_reported_and_retried(hub_server: HubServer) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    hub = hub_server.hub
    url = f"http://127.0.0.1:{port}/mcp"
    await hub.config.put_server("gone", ServerConfig(type="streamable-http", url=url), create=True)
    await hub.config.put_server("gone-sse", ServerConfig(url=url), create=True)
    for name in ("gone", "gone-sse"):
        await wait_for(lambda n=name: hub.upstreams.state(n).error is not None, 5)
        state = hub.upstreams.state(name)
        assert state.status in (Status.DISCONNECTED, Status.CONNECTING)
        assert "\n" not in (state.error or "") and "connect" in (state.error or "").lower()
    with pytest.raises(UpstreamError, match="not connected"):
        await hub.upstreams.call_tool("gone", "echo", {"text": "x"})
    failures = hub.upstreams.upstreams["gone"].failures
    await wait_for(lambda: hub.upstreams.upstreams["gone"].failures > failures, 5)


@pytest.mark.slow
async def test_restarted_upstream_is_found_again(hub_server: HubServer, tmp_path: Path) -> None:
    """Killed and restarted on the same port: keep-alive notices, a call survives the 404."""
    upstream = start_http(EVERYTHING, "streamable-http", tmp_path / "ev")
    try:
        hub = hub_server.hub
        pinged = ServerConfig(
            type="streamable-http",
            url=upstream.url,
            enable_keep_alive=True,
            keep_alive_interval=1000,
        )
        await hub.config.put_server("pinged", pinged, create=True)
        plain = ServerConfig(type="streamable-http", url=upstream.url)
        await hub.config.put_server("plain", plain, create=True)
        await wait_status(hub, "pinged", Status.CONNECTED)
        await wait_status(hub, "plain", Status.CONNECTED)

        upstream.stop()
        await wait_status(hub, "pinged", Status.DISCONNECTED, within=5)
        upstream = start_http(EVERYTHING, "streamable-http", tmp_path / "ev", port=upstream.port)
        # "plain" still holds a session the new process never issued: the call's 404
        # makes the hub reconnect, and the call is sent again on the new session.
        result = await hub.upstreams.call_tool("plain", "echo", {"text": "again"})
        assert result["structuredContent"] == {"text": "again"}
        await wait_status(hub, "pinged", Status.CONNECTED, within=10)
        assert hub.upstreams.state("plain").status is Status.CONNECTED
    finally:
        upstream.stop()


class ForwardProxy:
    """A plain-HTTP forward proxy on 127.0.0.1 that records the absolute URIs it relays.

    One request per client connection: the head is rewritten to origin form with
    ``Connection: close`` and the upstream's answer is piped back until it closes, so
    event streams pass through as they arrive.
    """

    def __init__(self) -> None:
        self.seen: list[str] = []
        self.server: asyncio.Server | None = None
        self.relays: set[asyncio.Task[Any]] = set()

    async def start(self) -> str:
        self.server = await asyncio.start_server(self._relay, "127.0.0.1", 0)
        return f"http://127.0.0.1:{self.server.sockets[0].getsockname()[1]}"

    async def _relay(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self.relays.add(task)
        up_writer: asyncio.StreamWriter | None = None
        try:
            head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
            method, target, version = head[0].split(" ")
            self.seen.append(f"{method} {target}")
            parts = urlsplit(target)
            fields = [
                h for h in head[1:] if h and not h.lower().startswith(("connection:", "proxy-"))
            ]
            length = next(
                (int(h.split(":")[1]) for h in fields if h.lower().startswith("content-length:")), 0
            )
            body = await reader.readexactly(length)
            up_reader, up_writer = await asyncio.open_connection(parts.hostname, parts.port)
            path = parts.path + (f"?{parts.query}" if parts.query else "")
            request = "\r\n".join(
                [f"{method} {path} {version}", *fields, "Connection: close", "", ""]
            )
            up_writer.write(request.encode("latin-1") + body)
            while chunk := await up_reader.read(65536):
                writer.write(chunk)
                await writer.drain()
        except (OSError, asyncio.IncompleteReadError, ValueError):
            pass
        finally:
            self.relays.discard(task)
            for stream in (up_writer, writer):
                if stream is not None:
                    stream.close()

    async def stop(self) -> None:
        if self.server is not None:
            self.server.close()
        for task in list(self.relays):
            task.cancel()
        await asyncio.gather(*self.relays, return_exceptions=True)
        if self.server is not None:
            await self.server.wait_closed()


async def test_http_upstreams_honour_http_proxy_and_no_proxy(
    hub_server: HubServer, upstreams: dict[str, HttpUpstream], monkeypatch: pytest.MonkeyPatch
) -> None:
    hub = hub_server.hub
    proxy = ForwardProxy()
    proxy_url = await proxy.start()
    try:
        for var in ("NO_PROXY", "no_proxy", "ALL_PROXY", "all_proxy"):
            monkeypatch.delenv(var, raising=False)
        monkeypatch.setenv("HTTP_PROXY", proxy_url)
        monkeypatch.setenv("http_proxy", proxy_url)
        url = upstreams["shttp"].url
        await hub.config.put_server(
            "proxied", ServerConfig(type="streamable-http", url=url), create=True
        )
        await wait_status(hub, "proxied", Status.CONNECTED)
        result = await hub.upstreams.call_tool("proxied", "add", {"a": 4, "b": 5})
        assert result["structuredContent"] == {"result": 9}
        assert f"POST {url}" in proxy.seen  # the proxy made the connection, absolute-form

        relayed = len(proxy.seen)
        monkeypatch.setenv("NO_PROXY", "127.0.0.1")
        monkeypatch.setenv("no_proxy", "127.0.0.1")
        await hub.config.put_server(
            "direct", ServerConfig(type="sse", url=upstreams["sse"].url), create=True
        )
        await wait_status(hub, "direct", Status.CONNECTED)
        result = await hub.upstreams.call_tool("direct", "add", {"a": 1, "b": 1})
        assert result["structuredContent"] == {"result": 2}
        assert not any(upstreams["sse"].url.split("/sse")[0] in s for s in proxy.seen[relayed:])
    finally:
        await hub.config.delete_server("proxied")  # its event stream ends before the proxy
        await proxy.stop()
