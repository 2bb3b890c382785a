"""Typed change events: what changed, which record, how, and from which hub instance; the
activity log as a seam of its own beside the Store."""

from __future__ import annotations

from hub.config.activities import activity_log
from hub.config.store import Store
from hub.plugin_api import ActivityLog, Change, ChangeEvent, Kind, ServerConfig
from hub.server import HubServer


def remote() -> ServerConfig:
    return ServerConfig(type="streamable-http", url="http://127.0.0.1:9/mcp", enabled=False)


async def test_live_config_publishes_typed_events(hub_server: HubServer) -> None:
    hub = hub_server.hub
    await hub.admin_ready()  # the first admin's hash is stored once made: not this test's
    events: list[ChangeEvent] = []
    hub.bus.subscribe(events.append)
    await hub.config.put_server("s1", remote(), create=True)
    await hub.config.put_server("s1", remote())
    await hub.config.delete_server("s1")
    await hub.config.put_system(hub.config.system)
    mine = [(e.kind, e.record, e.action) for e in events if e.kind != Kind.UPSTREAM]
    assert mine == [
        (Kind.SERVERS, "s1", Change.CREATE),
        (Kind.SERVERS, "s1", Change.UPDATE),
        (Kind.SERVERS, "s1", Change.DELETE),
        (Kind.SYSTEM, None, Change.UPDATE),
    ]
    assert {e.origin for e in events} == {hub.instance_id}
    assert len(hub.instance_id) == 32
    assert all(e.shared for e in events if e.kind != Kind.UPSTREAM)
    assert not any(e.shared for e in events if e.kind == Kind.UPSTREAM)


def test_events_travel_as_json() -> None:
    event = ChangeEvent(Kind.GROUPS, "g-1", Change.DELETE, "instance-a")
    wire = event.to_wire()
    assert wire == {
        "kind": "groups",
        "record": "g-1",
        "action": "delete",
        "origin": "instance-a",
        "detail": {},
    }
    back = ChangeEvent.from_wire(wire)
    assert back == event and back.origin == "instance-a"
    assert back != ChangeEvent(Kind.GROUPS, "g-1", Change.DELETE, "instance-b")
    upstream = ChangeEvent(Kind.UPSTREAM, "ev", detail={"what": "tools"})
    assert ChangeEvent.from_wire(upstream.to_wire()) == upstream and not upstream.shared


async def test_an_event_from_another_instance_reaches_the_subscribers(
    hub_server: HubServer,
) -> None:
    hub = hub_server.hub
    seen: list[ChangeEvent] = []
    hub.bus.subscribe(seen.append)
    before = hub.catalog.version
    remote_event = ChangeEvent.from_wire(
        {"kind": "groups", "record": "g-9", "action": "update", "origin": "other-instance"}
    )
    hub.bus.emit(remote_event)
    assert hub.catalog.version == before + 1, "the catalog dropped its views"
    assert seen == [remote_event] and seen[0].origin == "other-instance"


async def test_activities_are_a_seam_of_their_own(hub_server: HubServer) -> None:
    assert not hasattr(Store, "add_activity") and not hasattr(Store, "list_activities")
    log = activity_log(hub_server.hub.store)
    assert isinstance(log, ActivityLog)
    first = await log.add_activity({"server": "a", "tool": "echo", "status": "ok"})
    await log.add_activity({"server": "b", "tool": "echo", "status": "error"})
    await log.add_activity({"server": "a", "tool": "add", "status": "ok"})
    rows, total = await log.list_activities(filters={"server": "a"})
    assert total == 2
    assert [r["tool"] for r in rows] == ["add", "echo"]  # newest first
    assert rows[-1]["id"] == first
    page, total = await log.list_activities(limit=1, offset=1)
    assert total == 3 and [r["server"] for r in page] == ["b"]
