"""The change bus between instances, at the store: what a write tells the other instances."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest
from mcphub_postgres.plugin import _factory

from hub.plugin_api import ChangeEvent, Kind, Store
from hub.testing import wait_for


class Opened:
    def __init__(self, store: Store) -> None:
        self.store = store
        self.heard: list[ChangeEvent] = []


@pytest.fixture
async def pair(pg_url: str, tmp_path: Path) -> AsyncIterator[tuple[Opened, Opened]]:
    """Two stores on one database as two instances would open them; the first listens."""
    opened = []
    for origin in ("inst-a", "inst-b"):
        store = _factory(pg_url, tmp_path)
        store.origin = origin
        await store.open()
        opened.append(Opened(store))
    a, b = opened
    await a.store.listen(a.heard.append)
    try:
        yield a, b
    finally:
        for o in opened:
            await o.store.close()


def summary(events: list[ChangeEvent]) -> list[tuple[str, str | None, str, str]]:
    return [(str(e.kind), e.record, str(e.action), e.origin) for e in events]


async def test_writes_of_another_instance_arrive_as_typed_events(
    pair: tuple[Opened, Opened],
) -> None:
    a, b = pair
    await b.store.put("servers", "web", {"config": {}}, create=True)
    await b.store.put("servers", "web", {"config": {"enabled": False}})
    await b.store.put("system", "config", {})
    await b.store.put("prompts", "p1", {"id": "p1"})
    await b.store.put("oauth_clients", "c1", {"clientId": "c1"})
    await b.store.delete("servers", "web")
    await a.store.put("groups", "own", {"name": "own"})  # a's own write: not handed back
    await wait_for(lambda: len(a.heard) >= 6, within=2)
    assert summary(a.heard) == [
        ("servers", "web", "create", "inst-b"),
        ("servers", "web", "update", "inst-b"),
        ("system", None, "create", "inst-b"),
        ("builtins", "p1", "create", "inst-b"),
        ("stored", "c1", "create", "inst-b"),
        ("servers", "web", "delete", "inst-b"),
    ]
    assert a.heard[3].detail["kind_of"] == "prompt"
    assert a.heard[4].detail["collection"] == "oauth_clients"


async def test_a_rolled_back_transaction_tells_nobody(pair: tuple[Opened, Opened]) -> None:
    a, b = pair
    with pytest.raises(RuntimeError):
        async with b.store.transaction() as tx:
            await tx.put("groups", "g", {"name": "g"})
            raise RuntimeError("boom")
    await b.store.put("groups", "after", {"name": "after"})
    await wait_for(lambda: len(a.heard) >= 1, within=2)
    assert summary(a.heard) == [("groups", "after", "create", "inst-b")]


async def test_an_import_is_one_reload_event_and_long_keys_stay_small(
    pair: tuple[Opened, Opened],
) -> None:
    a, b = pair
    await b.store.replace_all({"servers": {f"s{i}": {"config": {}} for i in range(50)}})
    await wait_for(lambda: len(a.heard) >= 1, within=2)
    assert summary(a.heard) == [("imported", None, "replace", "inst-b")]
    # A key too long for a NOTIFY payload (8,000 bytes) becomes "reload", not an error.
    await b.store.put("extra", "k" * 9000, {"value": 1})
    await wait_for(lambda: len(a.heard) >= 2, within=2)
    assert a.heard[1].kind == Kind.IMPORTED


async def test_a_dropped_listener_reconnects_and_resynchronises(
    pair: tuple[Opened, Opened], pg_url: str
) -> None:
    a, b = pair
    listener = a.store._listener  # type: ignore[attr-defined]
    assert listener is not None
    admin = await asyncpg.connect(pg_url)
    try:
        await admin.execute("SELECT pg_terminate_backend($1)", listener.get_server_pid())
        # Written while a's listener is gone: a must not miss them.
        for i in range(20):
            await b.store.put("servers", f"s{i}", {"config": {}})
    finally:
        await admin.close()
    await wait_for(lambda: a.store.reconnects >= 1, within=10)  # type: ignore[attr-defined]

    def covered() -> bool:
        if any(e.kind == Kind.IMPORTED for e in a.heard):
            return True  # a gap was found and reported as "reload everything"
        return {e.record for e in a.heard} >= {f"s{i}" for i in range(20)}

    await wait_for(covered, within=5)
    # And it listens again: a later write arrives as its own event.
    await b.store.put("groups", "later", {"name": "later"})
    await wait_for(lambda: any(e.record == "later" for e in a.heard), within=2)
