"""``python -m bench.observability``: CPU the activity and metrics plugins add per tool call.

Load figures on a busy shared machine move by more than the 5 % this has to show, so this
measures the added work itself, in one process, with CPU time: the ``after_tool_call``
hooks of both plugins (record, summaries, queue, counters) and the batched writer's SQLite
inserts per record, against a started hub with its real plugins and store.
"""

from __future__ import annotations

import asyncio
import tempfile
import time
from pathlib import Path

from hub.app import HubOptions
from hub.server import HubServer
from hub.upstream.calls import ToolCall

CALLS = 20_000
RESULT = {"content": [{"type": "text", "text": "hello"}], "structuredContent": {"text": "hello"}}


async def measure() -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        options = HubOptions(data_dir=Path(tmp), port=0, admin_password="Bench-pass-1!")
        server = HubServer(options)
        await server.start()
        hub = server.hub
        try:
            plugins = hub.plugins
            assert plugins.has_impl("after_tool_call")
            calls = [ToolCall("http", "echo", {"text": "hello"}, None) for _ in range(CALLS)]
            start = time.process_time()
            for call in calls:
                waiting = plugins.after_tool_call(hub, call, RESULT, None)
                if waiting is not None:
                    await waiting
            hooks = time.process_time() - start
            start = time.process_time()
            while hub.plugins.pm.get_plugin("activity") is not None:
                from mcphub_activity.plugin import recorder

                rec = recorder(hub)
                assert rec is not None
                await rec.flush()
                if not rec.pending:
                    break
            writer = time.process_time() - start
            return {
                "hooks_us": hooks / CALLS * 1e6,
                "writer_us": writer / CALLS * 1e6,
            }
        finally:
            await server.stop()


def main() -> None:
    figures = asyncio.run(measure())
    total = figures["hooks_us"] + figures["writer_us"]
    print(f"after_tool_call hooks (activity + metrics): {figures['hooks_us']:.1f} us CPU per call")
    print(f"activity writer (SQLite batch insert):      {figures['writer_us']:.1f} us CPU per call")
    print(f"total added:                                {total:.1f} us CPU per call")


if __name__ == "__main__":
    main()
