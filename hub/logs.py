"""Logging setup and the in-process ring buffer behind ``/api/logs``.

The buffer is fed by the hub's own logging (it is a ``logging.Handler``) and by stdio
children's stderr (``add_line``). It is bounded in entries and in line length, and every
message passes through ``redact`` first, because the buffer is served over HTTP.
"""

from __future__ import annotations

import collections
import logging
import re
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

LogEntry = dict[str, Any]

MAX_MESSAGE = 8192
"""Longer messages are cut, so one huge stderr line cannot grow the buffer without bound."""
ACCESS_LOGGER = "hub.access"
"""The logger of the access line each HTTP request ends with (``hub.server``)."""

_SECRETS = (
    (re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]{8,}"), r"\1 [REDACTED]"),
    (re.compile(r"\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*"), "[REDACTED]"),
    (re.compile(r"\bmcphub_[A-Za-z0-9_-]{8,}"), "[REDACTED]"),
    (
        re.compile(
            r"(?i)\b((?:access_|refresh_|api[-_]?|auth[-_]?)?(?:token|key|secret|password|passwd)"
            r"[\"']?\s*[=:]\s*[\"']?)[^\s&\"',;]{4,}"
        ),
        r"\1[REDACTED]",
    ),
)


def redact(message: str) -> str:
    """Hide what looks like a credential: bearer values, JWTs, hub keys, ``token=…`` pairs."""
    for pattern, replacement in _SECRETS:
        message = pattern.sub(replacement, message)
    if len(message) > MAX_MESSAGE:
        message = message[:MAX_MESSAGE] + " …[truncated]"
    return message


class LogBuffer(logging.Handler):
    """Keeps the newest ``capacity`` records as ``{timestamp, type, source, message}``."""

    def __init__(self, capacity: int = 1000) -> None:
        super().__init__(level=logging.INFO)
        self.entries: collections.deque[LogEntry] = collections.deque(maxlen=capacity)
        self.listeners: list[Callable[[LogEntry], None]] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.name == ACCESS_LOGGER and record.levelno < logging.WARNING:
            return  # a line per answered request would push everything else out of the ring
        try:
            message = record.getMessage()
        except (TypeError, ValueError):
            message = str(record.msg)
        level = record.levelname.lower()
        entry = {
            "timestamp": int(record.created * 1000),
            "type": {"warning": "warn", "critical": "error"}.get(level, level),
            "source": getattr(record, "source", None) or record.name,
            "message": redact(message),
            "processId": str(record.process),
        }
        self.add(entry)

    def add(self, entry: LogEntry) -> None:
        self.entries.append(entry)
        for listener in list(self.listeners):
            try:
                listener(entry)
            except Exception:  # noqa: BLE001 - a broken listener must not break logging
                self.listeners.remove(listener)

    def add_line(self, source: str, message: str, type_: str = "info") -> None:
        """One line from outside the logging system (a stdio child's stderr)."""
        self.add(
            {
                "timestamp": int(time.time() * 1000),
                "type": type_,
                "source": source,
                "message": redact(message),
            }
        )

    def subscribe(self, listener: Callable[[LogEntry], None]) -> Callable[[], None]:
        """Call ``listener`` with every new entry (from any thread); returns the unsubscribe."""
        self.listeners.append(listener)

        def unsubscribe() -> None:
            if listener in self.listeners:
                self.listeners.remove(listener)

        return unsubscribe

    def clear(self) -> None:
        self.entries.clear()


buffer = LogBuffer()
"""The process-wide buffer; attached to the root logger by ``attach`` (the hub does it)."""


def attach() -> None:
    """Feed the buffer from the root logger, at INFO for the hub's own loggers.

    Idempotent. When nothing configured logging (an embedding application, the test kit)
    the root level is WARNING; the ``hub`` logger is then lowered to INFO so the buffer
    still sees the hub's info lines, without changing what third-party libraries log.
    """
    root = logging.getLogger()
    if buffer not in root.handlers:
        root.addHandler(buffer)
    hub_logger = logging.getLogger("hub")
    if hub_logger.level == logging.NOTSET and root.getEffectiveLevel() > logging.INFO:
        hub_logger.setLevel(logging.INFO)


CHATTY_LIBRARIES = ("httpx2", "httpx", "httpcore", "httpcore2", "mcp")
"""Libraries that log a line per request at INFO (httpx2: every upstream POST); at an INFO
hub level they are held at WARNING, so the hot path logs once per call (the access line)."""
ACCESS_FLUSH = 0.1
"""Seconds an access line may wait in the console buffer before it is written out."""


class Console(logging.StreamHandler):
    """stderr, with access lines buffered: one write per burst of requests instead of one
    per request. Any other record, and the flusher thread every ``ACCESS_FLUSH`` seconds,
    writes out what waits (at most that much of the access log is lost to a SIGKILL)."""

    def __init__(self) -> None:
        super().__init__(sys.stderr)
        self._waiting: list[str] = []
        self._flusher: threading.Thread | None = None

    def emit(self, record: logging.LogRecord) -> None:
        if record.name != ACCESS_LOGGER:
            with self.lock:  # type: ignore[union-attr]
                self._write_waiting()
            super().emit(record)
            return
        try:
            line = self.format(record)
        except Exception:  # noqa: BLE001 - logging must never raise
            self.handleError(record)
            return
        self.append(line)

    def append(self, line: str) -> None:
        """Queue a formatted access line (``emit``, or ``access`` directly)."""
        with self.lock:  # type: ignore[union-attr]
            self._waiting.append(line)
        if self._flusher is None:
            self._flusher = threading.Thread(target=self._flush_often, daemon=True)
            self._flusher.start()

    def _write_waiting(self) -> None:
        if self._waiting:
            text = "\n".join(self._waiting) + "\n"
            self._waiting.clear()
            try:
                self.stream.write(text)
                self.stream.flush()
            except (OSError, ValueError):
                pass

    def _flush_often(self) -> None:
        while True:
            time.sleep(ACCESS_FLUSH)
            with self.lock:  # type: ignore[union-attr]
                self._write_waiting()

    def flush(self) -> None:
        with self.lock:  # type: ignore[union-attr]
            self._write_waiting()
        super().flush()


class ConsoleFormatter(logging.Formatter):
    """``time level logger: message``, the time text made once per second, not per line."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")
        self._second = -1
        self._text = ""

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        return self.time_text(record.created)

    def time_text(self, created: float) -> str:
        second = int(created)
        if second != self._second:
            self._second, self._text = (
                second,
                time.strftime("%Y-%m-%d %H:%M:%S", self.converter(second)),
            )
        return f"{self._text},{int((created - second) * 1000):03d}"


def setup_logging(level: str = "INFO") -> None:
    root = logging.getLogger()
    root.setLevel(level.upper())
    if root.getEffectiveLevel() > logging.DEBUG:
        floor = max(logging.WARNING, root.getEffectiveLevel())
        for name in CHATTY_LIBRARIES:
            library = logging.getLogger(name)
            if library.level == logging.NOTSET:
                library.setLevel(floor)
    global _direct
    installed: tuple[Console, ConsoleFormatter] | None = None
    if not any(isinstance(h, logging.StreamHandler) for h in root.handlers):
        console = Console()
        formatter = ConsoleFormatter()
        console.setFormatter(formatter)
        root.addHandler(console)
        installed = (console, formatter)
    attach()
    if installed is not None:
        _direct = (*installed, list(root.handlers))


_access = logging.getLogger(ACCESS_LOGGER)
_hub = logging.getLogger("hub")
_direct: tuple[Console, ConsoleFormatter, list[logging.Handler]] | None = None
"""The console ``setup_logging`` installed, its formatter, and the root handlers as it left
them: while they are unchanged, an access line below WARNING goes straight to the console."""


def access(level: int, text: str) -> None:
    """Log one access line (``hub.access``).

    A line below WARNING reaches only the console (the ``/api/logs`` ring keeps those
    out), so while logging is as ``setup_logging`` left it (no handler or filter added on
    the way) the line is formatted and queued there directly: a ``LogRecord`` and the
    handler chain cost about 2 % of a proxied call's CPU.
    """
    if not _access.isEnabledFor(level):
        return
    direct = _direct
    if (
        direct is not None
        and level < logging.WARNING
        and logging.root.handlers == direct[2]
        and not (_access.handlers or _access.filters or logging.root.filters)
        and _access.propagate
        and _hub.propagate
        and not (_hub.handlers or _hub.filters)
    ):
        console, formatter = direct[0], direct[1]
        if level >= console.level and not console.filters:
            name = logging.getLevelName(level)
            console.append(f"{formatter.time_text(time.time())} {name} {ACCESS_LOGGER}: {text}")
            return
    _access.log(level, "%s", text)
