"""``CallScope``: cancels one request's work from outside and absorbs only that cancellation."""

from __future__ import annotations

import asyncio

import pytest

from hub.mcp.call_scope import CallScope


async def in_flight(scope: CallScope) -> asyncio.Task[str]:
    """A task waiting inside ``scope``: "answered" if it ever finishes, else "cancelled"."""
    started = asyncio.Event()

    async def work() -> str:
        with scope:
            started.set()
            await asyncio.sleep(30)
            return "answered"
        return "cancelled"

    task = asyncio.create_task(work())
    await started.wait()
    return task


async def test_cancel_ends_the_work_with_no_answer() -> None:
    scope = CallScope()
    task = await in_flight(scope)
    scope.cancel()
    assert await task == "cancelled"
    assert scope.cancelled_caught
    assert task.cancelling() == 0  # the cancellation it asked for was taken back


async def test_cancel_before_the_work_starts_ends_it_at_its_first_await() -> None:
    scope = CallScope()
    reached: list[str] = []

    async def work() -> None:
        with scope:
            reached.append("entered")
            await asyncio.sleep(30)
            reached.append("slept")

    scope.cancel()  # a notifications/cancelled that overtook the request's task
    await asyncio.create_task(work())
    assert reached == ["entered"] and scope.cancelled_caught


async def test_cancel_after_the_work_ended_is_a_no_op() -> None:
    scope = CallScope()

    async def work() -> str:
        with scope:
            await asyncio.sleep(0)
        scope.cancel()  # too late: nothing to stop
        await asyncio.sleep(0)
        return "done"

    assert await asyncio.create_task(work()) == "done"
    assert not scope.cancelled_caught


async def test_someone_elses_cancellation_passes_through() -> None:
    """A shutdown cancelling the task too is not swallowed by the scope."""
    scope = CallScope()
    task = await in_flight(scope)
    scope.cancel()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert not scope.cancelled_caught
