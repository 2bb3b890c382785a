"""stdio upstreams through a real hub: lists, calls, environment, stderr, list_changed."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import sys
import uuid

import pytest
from mcp.shared.exceptions import MCPError
from mcphub_stdio.process import spawn

from hub import logs
from hub.config.models import McpSettings, ServerConfig, User
from hub.errors import UpstreamError
from hub.server import HubServer
from hub.upstream.calls import current_downstream
from hub.upstream.state import Status
from tests.upstreams_fixtures import (
    PY,
    ROOT,
    TINY,
    FakeDownstream,
    event_dict,
    everything_args,
    wait_for,
    wait_status,
)

SECRETS = {
    "JWT_SECRET": "jwt-secret-value",
    "ADMIN_PASSWORD": "admin-password-value",
    "MCPHUB_X": "mcphub-x-value",
    "DATABASE_URL": "postgres://secret@127.0.0.1/db",
}


@pytest.fixture
def log_buffer() -> logs.LogBuffer:
    """The hub's log ring buffer, attached to the root logger for this test."""
    root = logging.getLogger()
    child = logging.getLogger("hub.upstream.stderr")
    added = logs.buffer not in root.handlers
    if added:
        root.addHandler(logs.buffer)
    level = child.level
    child.setLevel(logging.INFO)
    logs.buffer.clear()
    yield logs.buffer
    child.setLevel(level)
    if added:
        root.removeHandler(logs.buffer)


async def test_stdio_everything(
    hub_server: HubServer, monkeypatch: pytest.MonkeyPatch, log_buffer: logs.LogBuffer
) -> None:
    for key, value in SECRETS.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("HUBTEST_GREETING", "hello-from-hub")
    hub = hub_server.hub
    events: list[dict] = []
    hub.bus.subscribe(lambda e: events.append(event_dict(e)) if e.kind == "upstream" else None)
    config = ServerConfig(
        command=PY,
        args=everything_args("ev"),
        cwd=str(ROOT),
        env={"GREETING": "${HUBTEST_GREETING}", "LEAK": "${JWT_SECRET}x", "PLAIN": "1"},
    )
    await hub.config.put_server("ev", config, create=True)
    assert hub.upstreams.state("ev").status in (Status.CONNECTING, Status.DISCONNECTED)
    await wait_status(hub, "ev", Status.CONNECTED)

    # Cached lists: every page (26 tools in pages of 10), in wire form.
    state = hub.upstreams.state("ev")
    names = [t["name"] for t in state.tools]
    assert len(names) == 26 and "filler_14" in names and "echo" in names
    echo = next(t for t in state.tools if t["name"] == "echo")
    assert echo["inputSchema"]["required"] == ["text"]
    assert echo["annotations"] == {"readOnlyHint": True}
    assert {p["name"] for p in state.prompts} == {"greet", "simple"}
    assert {r["uri"] for r in state.resources} == {"test://static/hello", "test://static/data.json"}
    assert state.resource_templates[0]["uriTemplate"] == "test://items/{id}"
    assert state.server_info and state.server_info["name"] == "ev"
    assert {"kind": "upstream", "name": "ev", "what": "tools"} in events

    # Calls of every kind, wire-form results.
    result = await hub.upstreams.call_tool("ev", "echo", {"text": "hi"})
    assert result["structuredContent"] == {"text": "hi"}
    prompt = await hub.upstreams.get_prompt("ev", "greet", {"name": "Bob"})
    assert prompt["messages"][0]["content"]["text"] == "Hello, Bob!"
    read = await hub.upstreams.read_resource("ev", "test://items/7")
    assert read["contents"][0]["text"] == "item 7"
    done = await hub.upstreams.complete(
        "ev", {"type": "ref/prompt", "name": "greet"}, {"name": "name", "value": "a"}
    )
    assert done["completion"]["values"] == ["Alice"]
    assert await hub.upstreams.subscribe_resource("ev", "test://static/hello") == {}
    with pytest.raises(MCPError, match="Unknown tool"):
        await hub.upstreams.call_tool("ev", "nope", {})
    with pytest.raises(UpstreamError, match="not connected"):
        await hub.upstreams.call_tool("missing", "echo", {})

    # The child's environment: configured env expanded, no hub secrets at all.
    env = json.loads((await hub.upstreams.call_tool("ev", "env"))["content"][0]["text"])
    for key, value in SECRETS.items():
        assert key not in env
        assert value not in json.dumps(env)
    assert env["GREETING"] == "hello-from-hub"
    assert env["LEAK"] == "x"
    assert env["PLAIN"] == "1"
    assert "PATH" in env
    assert "HUBTEST_GREETING" not in env

    # Child stderr lands in the hub log, tagged with the server name.
    assert any(
        e["source"] == "ev" and "everything upstream started" in e["message"]
        for e in log_buffer.entries
    )

    # Sampling from a stdio upstream goes to the one downstream with a call in flight.
    downstream = FakeDownstream(
        answers={
            "sampling/createMessage": {
                "role": "assistant",
                "content": {"type": "text", "text": "sampled!"},
                "model": "test-model",
            }
        }
    )
    token = current_downstream.set(downstream)
    try:
        sampled = await hub.upstreams.call_tool("ev", "sample", {"prompt": "hi"})
    finally:
        current_downstream.reset(token)
    assert sampled["content"][0]["text"] == "sampled!"
    assert downstream.requests[0][0] == "sampling/createMessage"
    with pytest.raises(MCPError, match="no downstream client"):
        await hub.upstreams.call_tool("ev", "sample", {"prompt": "hi"})

    # tools/list_changed: the cached list follows without a reconnect.
    events.clear()
    await hub.upstreams.call_tool("ev", "add_tool", {"name": "dynamic"})
    await wait_for(lambda: any(t["name"] == "dynamic" for t in hub.upstreams.state("ev").tools), 5)
    assert hub.upstreams.state("ev").status is Status.CONNECTED
    assert {"kind": "upstream", "name": "ev", "what": "tools"} in events
    assert not any(e["what"] == "status" for e in events)


async def test_invalid_and_unexpandable_configs(hub_server: HubServer) -> None:
    hub = hub_server.hub
    await hub.config.put_server("nocmd", ServerConfig(type="stdio"), create=True)
    await hub.config.put_server(
        "missing", ServerConfig(command="/nonexistent/mcp-server-xyz"), create=True
    )
    await wait_for(lambda: hub.upstreams.state("nocmd").error is not None, 5)
    assert "command" in (hub.upstreams.state("nocmd").error or "")
    await wait_for(lambda: hub.upstreams.state("missing").error is not None, 5)
    error = hub.upstreams.state("missing").error or ""
    assert "cannot start" in error and "\n" not in error
    assert hub.upstreams.state("missing").status is Status.DISCONNECTED


async def test_user_owned_config_gets_no_hub_variables(
    hub_server: HubServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A normal user's config expands nothing from the hub's environment."""
    monkeypatch.setenv("HUBTEST_NAME", "expanded")
    hub = hub_server.hub
    await hub.config.put_user(User(username="bob", password="x"), create=True)
    args = [TINY, "${HUBTEST_NAME}"]
    await hub.config.put_server("mine", ServerConfig(command=PY, args=args), create=True)
    await hub.config.put_server(
        "bobs", ServerConfig(command=PY, args=args, owner="bob"), create=True
    )
    await wait_status(hub, "mine", Status.CONNECTED)
    await wait_status(hub, "bobs", Status.CONNECTED)
    assert hub.upstreams.state("mine").server_info["name"] == "expanded"
    assert hub.upstreams.state("bobs").server_info["name"] == ""


async def test_config_edits_reconnect_only_when_needed(hub_server: HubServer) -> None:
    hub = hub_server.hub
    marker = f"edit-{uuid.uuid4().hex[:8]}"
    config = ServerConfig(command=PY, args=[TINY, marker])
    await hub.config.put_server("t", config, create=True)
    await wait_status(hub, "t", Status.CONNECTED)
    first = hub.upstreams.upstreams["t"]
    await hub.config.put_server("t", config.model_copy(update={"description": "new text"}))
    assert hub.upstreams.upstreams["t"] is first
    await hub.config.put_server("t", config.model_copy(update={"args": [TINY, marker + "b"]}))
    assert hub.upstreams.upstreams["t"] is not first
    await wait_status(hub, "t", Status.CONNECTED)
    assert hub.upstreams.state("t").server_info["name"] == marker + "b"
    await hub.upstreams.reload("t")
    await wait_status(hub, "t", Status.CONNECTED)
    result = await hub.upstreams.call_tool("t", "hello")
    assert result["content"][0]["text"] == f"hello from {marker}b"


async def test_import_and_system_changes_reconcile_upstreams(hub_server: HubServer) -> None:
    hub = hub_server.hub
    await hub.config.put_server("old", ServerConfig(command=PY, args=[TINY, "old"]), create=True)
    await wait_status(hub, "old", Status.CONNECTED)

    settings = McpSettings.model_validate(
        {
            "mcpServers": {
                "a": {"command": PY, "args": [TINY, "a"]},
                "b": {"command": PY, "args": [TINY, "b"], "enabled": False},
            },
            "users": [u.wire() for u in hub.config.users.values()],
        }
    )
    await hub.config.import_settings(settings)
    assert "old" not in hub.upstreams.upstreams
    assert hub.upstreams.state("old").status is Status.DISCONNECTED
    await wait_status(hub, "a", Status.CONNECTED)
    assert hub.upstreams.state("b").error == "disabled"

    env = json.loads((await hub.upstreams.call_tool("a", "env"))["content"][0]["text"])
    assert "UV_DEFAULT_INDEX" not in env
    system = hub.config.system.model_copy(deep=True)
    system.install.python_index_url = "http://127.0.0.1:9/simple"
    system.install.npm_registry = "http://127.0.0.1:9/npm"
    await hub.config.put_system(system)
    await wait_status(hub, "a", Status.CONNECTED)
    env = json.loads((await hub.upstreams.call_tool("a", "env"))["content"][0]["text"])
    assert env["UV_DEFAULT_INDEX"] == env["PIP_INDEX_URL"] == "http://127.0.0.1:9/simple"
    assert env["npm_config_registry"] == "http://127.0.0.1:9/npm"


async def test_a_failing_child_says_why(hub_server: HubServer) -> None:
    hub = hub_server.hub
    config = ServerConfig(command=PY, args=["-c", "import sys; sys.exit('no such api key')"])
    await hub.config.put_server("bad", config, create=True)
    await wait_for(lambda: "no such api key" in (hub.upstreams.state("bad").error or ""), 10)
    state = hub.upstreams.state("bad")
    assert state.status is not Status.CONNECTED
    assert state.error.startswith("process exited with code 1")


@pytest.mark.parametrize("pidfd", [True, False], ids=["pidfd", "waiting-thread"])
async def test_spawned_child_pipes_and_exit_are_seen(
    pidfd: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    if not pidfd:
        monkeypatch.delattr(os, "pidfd_open", raising=False)
    echo = "import sys; line = sys.stdin.readline(); print(line.upper(), end=''); sys.exit(3)"
    child = await spawn([sys.executable, "-c", echo], {"PATH": os.environ["PATH"]}, None)
    try:
        child.stdin.write(b"hello\n")
        await child.stdin.drain()
        assert await asyncio.wait_for(child.stdout.readline(), 10) == b"HELLO\n"
        await asyncio.wait_for(child.exited.wait(), 10)
        assert child.returncode == 3
    finally:
        child.close()
