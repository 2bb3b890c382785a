"""A per-key (usually per-IP) sliding-window rate limiter, in memory or shared.

Templates and login are the expensive or guessable routes. One process counts in memory;
hub instances sharing a store that keeps rate hits (``hub.config.shared``, PostgreSQL)
count together, so a client spreading password guesses over instances behind a load
balancer meets the same limit as against one. Handlers use the async ``wait``/``count``/
``take``; the sync methods are the in-memory count underneath.
"""

from __future__ import annotations

import collections
import math
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from hub.errors import TooManyRequests

if TYPE_CHECKING:
    import tornado.httputil

    from hub.app import Hub
    from hub.config.shared import SharedRateLimits


@dataclass(frozen=True)
class Limit:
    """At most ``count`` hits per ``window`` seconds."""

    count: int
    window: float


class RateLimiter:
    """Remembers the times of the last ``limit.count`` hits of each key."""

    MAX_KEYS = 10_000
    """Beyond this many tracked keys, idle ones are swept so memory stays bounded."""

    def __init__(
        self,
        limit: Limit,
        clock: Any = time.monotonic,
        *,
        name: str = "",
        shared: SharedRateLimits | None = None,
    ) -> None:
        self.limit = limit
        self.clock = clock
        self.name = name
        self.shared = shared
        """Where hits are counted across instances; None counts in this process."""
        self._hits: dict[str, collections.deque[float]] = {}

    def _recent(self, key: str, now: float) -> collections.deque[float]:
        hits = self._hits.get(key)
        if hits is None:
            if len(self._hits) >= self.MAX_KEYS:
                self._sweep(now)
            hits = self._hits[key] = collections.deque(maxlen=self.limit.count)
        while hits and hits[0] <= now - self.limit.window:
            hits.popleft()
        return hits

    def _sweep(self, now: float) -> None:
        cutoff = now - self.limit.window
        for key in [k for k, h in self._hits.items() if not h or h[-1] <= cutoff]:
            del self._hits[key]

    def retry_after(self, key: str) -> float | None:
        """Seconds until ``key`` may try again, or None when it is under the limit."""
        now: float = self.clock()
        hits = self._recent(key, now)
        if len(hits) < self.limit.count:
            return None
        return max(hits[0] + self.limit.window - now, 0.001)

    def add(self, key: str) -> None:
        """Count one hit (e.g. only failed logins)."""
        now = self.clock()
        self._recent(key, now).append(now)

    def hit(self, key: str) -> float | None:
        """Count a hit unless over the limit; returns the wait when over it."""
        wait = self.retry_after(key)
        if wait is None:
            self.add(key)
        return wait

    def reset(self, key: str) -> None:
        self._hits.pop(key, None)

    # -- what handlers call: shared across instances when the store offers it ---------

    async def wait(self, key: str) -> float | None:
        """Seconds until ``key`` may try again, or None when it is under the limit."""
        if self.shared is None:
            return self.retry_after(key)
        now = time.time()
        hits = await self.shared.recent_hits(self.name, key, now - self.limit.window)
        if len(hits) < self.limit.count:
            return None
        return max(hits[-self.limit.count] + self.limit.window - now, 0.001)

    async def count(self, key: str) -> None:
        """Count one hit (e.g. only failed logins)."""
        if self.shared is None:
            self.add(key)
            return
        now = time.time()
        await self.shared.add_hit(self.name, key, now, now - self.limit.window)

    async def take(self, key: str) -> float | None:
        """Count a hit unless over the limit; returns the wait when over it."""
        wait = await self.wait(key)
        if wait is None:
            await self.count(key)
        return wait


class RateLimits:
    """The hub's limiters by name; a limiter is made on first use and remade if its limit
    changed."""

    def __init__(self) -> None:
        self._limiters: dict[str, RateLimiter] = {}
        self.shared: SharedRateLimits | None = None
        """Set by the hub when its store counts hits across instances."""

    def get(self, name: str, limit: Limit) -> RateLimiter:
        found = self._limiters.get(name)
        if found is None or found.limit != limit or found.shared is not self.shared:
            found = self._limiters[name] = RateLimiter(limit, name=name, shared=self.shared)
        return found


def limiter_for(hub: Hub, name: str, limit: Limit) -> RateLimiter:
    """The hub's limiter called ``name``, made with ``limit`` on first use."""
    return hub.rate_limits.get(name, limit)


def too_many(wait: float) -> TooManyRequests:
    """The 429 error; ``RateLimitedMixin`` turns ``retryAfter`` into the header."""
    return TooManyRequests("Too many requests, please try again later", retryAfter=math.ceil(wait))


class RateLimitedMixin:
    """For APIHandler subclasses: ``self.rate_limit(name, limit)`` raises 429 with Retry-After."""

    hub: Hub
    request: tornado.httputil.HTTPServerRequest

    async def rate_limit(self, name: str, limit: Limit) -> None:
        wait = await limiter_for(self.hub, name, limit).take(self.request.remote_ip or "?")
        if wait is not None:
            raise too_many(wait)

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        exc = kwargs.get("exc_info", (None, None, None))[1]
        if isinstance(exc, TooManyRequests) and "retryAfter" in exc.extra:
            self.set_header("Retry-After", str(exc.extra["retryAfter"]))  # type: ignore[attr-defined]
        super().write_error(status_code, **kwargs)  # type: ignore[misc]
