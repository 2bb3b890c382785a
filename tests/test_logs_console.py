"""The console handler writes access lines in bursts, and never after a later record."""

from __future__ import annotations

import io
import logging
import re
import subprocess
import sys

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


ACCESS_SCRIPT = r"""
import logging, sys
from hub import logs
logs.setup_logging("INFO")
logs.access(logging.INFO, "200 POST /mcp 0.4ms")          # straight to the console
logging.getLogger(logs.ACCESS_LOGGER).info("%s", "200 POST /mcp 0.5ms")  # the record way
seen = []
class Collect(logging.Handler):
    def emit(self, record):
        seen.append(record.getMessage())
logging.getLogger().addHandler(Collect())
logs.access(logging.INFO, "200 POST /mcp 0.6ms")          # a handler was added: records again
logs.access(logging.WARNING, "404 POST /mcp 0.7ms")
logging.getLogger("hub").setLevel(logging.WARNING)
logs.access(logging.INFO, "200 POST /mcp 0.8ms")          # below the level: nowhere
logging.shutdown()
print(seen)
"""


def test_access_lines_go_straight_to_the_console_until_logging_changes() -> None:
    """The direct path writes what the record path writes; an added handler or a raised
    level is honoured at once."""
    args = [sys.executable, "-c", ACCESS_SCRIPT]
    done = subprocess.run(args, check=False, capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stderr
    lines = done.stderr.splitlines()
    stamp = r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}"
    expected = ["0.4ms", "0.5ms", "0.6ms", "0.7ms"]
    assert len(lines) == len(expected)
    for line, ms in zip(lines, expected, strict=True):
        level = "WARNING" if ms == "0.7ms" else "INFO"
        assert re.fullmatch(rf"{stamp} {level} hub\.access: \d{{3}} POST /mcp {ms}", line), line
    assert done.stdout.strip() == "['200 POST /mcp 0.6ms', '404 POST /mcp 0.7ms']"
