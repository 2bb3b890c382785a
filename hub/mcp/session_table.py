"""The live handshake-era sessions of the hub: admission under the caps, idle reaping."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from hub.config.system import SessionsConfig

if TYPE_CHECKING:
    from hub.mcp.sessions import HubSession


class SessionCapReached(Exception):
    """No room for a new session: ``status`` 429 for the caller's own cap, 503 for the hub's;
    ``retry_after`` in whole seconds."""

    def __init__(self, status: int, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.retry_after = retry_after


class Sessions:
    """The live handshake-era sessions, with idle reaping, a cap per caller and in total.

    ``limits`` is read on every admission, so a change of ``systemConfig.sessions`` applies
    at once. Each session is counted against its ``quota`` (who opened it: a user, a key,
    or an anonymous client address).
    """

    def __init__(self, limits: Callable[[], SessionsConfig] = SessionsConfig) -> None:
        self.by_id: dict[str, HubSession] = {}
        self.by_quota: dict[str, set[str]] = {}
        self.limits = limits
        self._last_reap = time.monotonic()

    @property
    def idle_timeout(self) -> float:
        return float(self.limits().idle_timeout)

    def __len__(self) -> int:
        return len(self.by_id)

    def __iter__(self) -> Any:
        return iter(list(self.by_id.values()))

    def add(self, session: HubSession, quota: str) -> None:
        """Register a session counted against ``quota``; ``SessionCapReached`` when the
        caller's cap or the hub's is reached even after reaping idle sessions."""
        limits = self.limits()
        mine = self.by_quota.get(quota, set())
        if len(mine) >= limits.max_per_principal:
            self._reap_ids(list(mine))
            mine = self.by_quota.get(quota, set())
            if len(mine) >= limits.max_per_principal:
                raise SessionCapReached(
                    429,
                    f"Too many sessions for this client (at most {limits.max_per_principal}); "
                    "close sessions it no longer uses (DELETE with Mcp-Session-Id)",
                    self._retry_after(mine),
                )
        self.reap(force=len(self.by_id) >= limits.max_total)
        if len(self.by_id) >= limits.max_total:
            raise SessionCapReached(503, "Too many sessions", self._retry_after(self.by_id))
        session.quota = quota
        self.by_id[session.id] = session
        self.by_quota.setdefault(quota, set()).add(session.id)

    def _retry_after(self, ids: Any) -> int:
        """Seconds until the first of these sessions may expire (at least 1)."""
        now, timeout = time.monotonic(), self.idle_timeout
        waits = [
            self.by_id[sid].last_seen + timeout - now
            for sid in list(ids)[:1000]
            if sid in self.by_id
        ]
        return max(1, math.ceil(min(waits, default=timeout)))

    def get(self, session_id: str) -> HubSession | None:
        session = self.by_id.get(session_id)
        if session is not None and self._idle(session, time.monotonic()):
            self.remove(session_id)
            return None
        return session

    def remove(self, session_id: str) -> HubSession | None:
        session = self.by_id.pop(session_id, None)
        if session is not None:
            mine = self.by_quota.get(session.quota)
            if mine is not None:
                mine.discard(session_id)
                if not mine:
                    del self.by_quota[session.quota]
            session.close()
        return session

    def _idle(self, session: HubSession, now: float) -> bool:
        busy = session.stream is not None or session.inflight or session.tasks
        return not busy and now - session.last_seen > self.idle_timeout

    def _reap_ids(self, ids: list[str]) -> int:
        now = time.monotonic()
        idle = [sid for sid in ids if sid in self.by_id and self._idle(self.by_id[sid], now)]
        for sid in idle:
            self.remove(sid)
        return len(idle)

    def reap(self, *, force: bool = False) -> int:
        """Drop idle sessions (at most once a minute unless forced)."""
        now = time.monotonic()
        if not force and now - self._last_reap < 60:
            return 0
        self._last_reap = now
        return self._reap_ids(list(self.by_id))

    def close_all(self) -> None:
        for sid in list(self.by_id):
            self.remove(sid)
