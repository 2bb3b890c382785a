"""Several real ``mcphub serve`` processes on one PostgreSQL database (scale-out tests)."""

from __future__ import annotations

import asyncio
import signal
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest

from hub.testing import HubClient
from tests.hubproc import HubProcess

PASSWORD = "Shared-pass-1!"


class Instance:
    """One hub process with an admin client logged in on it."""

    def __init__(self, proc: HubProcess, client: HubClient) -> None:
        self.proc = proc
        self.api = client

    @property
    def url(self) -> str:
        return self.proc.url


async def start_instance(
    pg_url: str, directory: Path, env: dict[str, str] | None = None
) -> Instance:
    """``mcphub serve`` on ``pg_url`` with a data dir of its own, and an admin client."""
    directory.mkdir(parents=True, exist_ok=True)  # noqa: ASYNC240 - a test's own tmp dir
    base = {"DB_URL": pg_url, "ADMIN_PASSWORD": PASSWORD, "MCPHUB_STORE": ""}
    proc = await HubProcess(directory, {**base, **(env or {})}).start()
    client = HubClient(proc.url)
    if not base["ADMIN_PASSWORD"] or (env or {}).get("ADMIN_PASSWORD") == "":
        return Instance(proc, client)  # a generated password: the test logs in itself
    try:
        await client.login("admin", PASSWORD)
    except AssertionError as exc:
        await client.aclose()
        await proc.stop(signal.SIGKILL)
        raise AssertionError(f"{exc}\n{proc.stderr}") from exc
    return Instance(proc, client)


async def stop_instance(instance: Instance, sig: int = signal.SIGTERM) -> None:
    await instance.api.aclose()
    await instance.proc.stop(sig)


Start = Callable[..., Awaitable[list[Instance]]]


@pytest.fixture
async def start_instances(pg_url: str, tmp_path: Path) -> AsyncIterator[Start]:
    """``await start_instances(n)``: n hubs started at the same moment on one database."""
    started: list[Instance] = []
    counter = 0

    async def start(n: int, env: dict[str, str] | None = None) -> list[Instance]:
        nonlocal counter
        dirs = []
        for _ in range(n):
            counter += 1
            dirs.append(tmp_path / f"hub{counter}")
        instances = await asyncio.gather(*(start_instance(pg_url, d, env) for d in dirs))
        started.extend(instances)
        return list(instances)

    try:
        yield start
    finally:
        for instance in started:
            await stop_instance(instance, signal.SIGKILL)
