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


def test_the_console_time_matches_the_standard_format() -> None:
    from hub.logs import ConsoleFormatter

    standard = logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    fast = ConsoleFormatter()
    for created in (1_700_000_000.123, 1_700_000_000.987, 1_700_000_001.004):
        record = make("hub.access", logging.INFO, "200 POST /mcp")
        record.created, record.msecs = created, (created - int(created)) * 1000
        assert fast.format(record) == standard.format(record)
