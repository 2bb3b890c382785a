"""Logging setup and the in-process ring buffer behind ``/api/logs``."""

from __future__ import annotations

import collections
import logging
import sys
import time
from collections.abc import Callable
from typing import Any

LogEntry = dict[str, Any]


class LogBuffer(logging.Handler):
    """Keeps the newest ``capacity`` records as ``{timestamp, type, source, message}``."""

    def __init__(self, capacity: int = 1000) -> None:
        super().__init__(level=logging.INFO)
        self.entries: collections.deque[LogEntry] = collections.deque(maxlen=capacity)
        self.listeners: list[Callable[[LogEntry], None]] = []

    def emit(self, record: logging.LogRecord) -> None:
        try:
            message = record.getMessage()
        except (TypeError, ValueError):
            message = str(record.msg)
        level = record.levelname.lower()
        entry = {
            "timestamp": int(record.created * 1000),
            "type": {"warning": "warn", "critical": "error"}.get(level, level),
            "source": getattr(record, "source", None) or record.name,
            "message": message,
            "processId": str(record.process),
        }
        self.add(entry)

    def add(self, entry: LogEntry) -> None:
        self.entries.append(entry)
        for listener in list(self.listeners):
            listener(entry)

    def add_line(self, source: str, message: str, type_: str = "info") -> None:
        self.add(
            {
                "timestamp": int(time.time() * 1000),
                "type": type_,
                "source": source,
                "message": message,
            }
        )

    def clear(self) -> None:
        self.entries.clear()


buffer = LogBuffer()
"""The process-wide buffer; attached to the root logger by ``setup_logging``."""


def setup_logging(level: str = "INFO") -> None:
    root = logging.getLogger()
    root.setLevel(level.upper())
    if not any(isinstance(h, logging.StreamHandler) and h is not buffer for h in root.handlers):
        console = logging.StreamHandler(sys.stderr)
        console.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        root.addHandler(console)
    if buffer not in root.handlers:
        root.addHandler(buffer)
