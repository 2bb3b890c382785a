"""The console handler writes access lines in bursts, and never after a later record."""

from __future__ import annotations

import io
import logging

from hub.logs import ACCESS_LOGGER, Console
from hub.testing import wait_for


def make(name: str, level: int, message: str) -> logging.LogRecord:
    return logging.LogRecord(name, level, __file__, 1, message, None, None)


async def test_access_lines_wait_briefly_other_records_flush_them_in_order() -> None:
    console = Console()
    stream = io.StringIO()
    console.setStream(stream)
    console.setFormatter(logging.Formatter("%(name)s %(message)s"))
    console.handle(make(ACCESS_LOGGER, logging.INFO, "200 POST /mcp"))
    assert stream.getvalue() == ""  # held for the next burst write
    console.handle(make(ACCESS_LOGGER, logging.INFO, "200 POST /mcp again"))
    console.handle(make("hub.upstream", logging.WARNING, "upstream lost"))
    assert stream.getvalue().splitlines() == [
        "hub.access 200 POST /mcp",
        "hub.access 200 POST /mcp again",
        "hub.upstream upstream lost",
    ]
    console.handle(make(ACCESS_LOGGER, logging.INFO, "404 GET /x"))
    await wait_for(lambda: stream.getvalue().endswith("hub.access 404 GET /x\n"), within=5)
