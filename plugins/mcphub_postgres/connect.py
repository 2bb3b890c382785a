"""Connection settings read from the store URL.

``postgresql://user@host:5432/db?statement_cache_size=0&pool_size=10``: the two options are
the hub's own and taken out of the URL before asyncpg sees it (asyncpg would send unknown
query parameters to the server as settings). ``statement_cache_size=0`` is what a
transaction-pooling pgbouncer needs.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

DEFAULT_POOL_SIZE = 10
DEFAULT_STATEMENT_CACHE_SIZE = 100


@dataclass(frozen=True)
class ConnectOptions:
    dsn: str
    pool_size: int = DEFAULT_POOL_SIZE
    statement_cache_size: int = DEFAULT_STATEMENT_CACHE_SIZE

    @classmethod
    def from_url(cls, url: str) -> ConnectOptions:
        """Options from a store URL; ``MCPHUB_PG_STATEMENT_CACHE_SIZE`` and
        ``MCPHUB_PG_POOL_SIZE`` apply when the URL does not say."""
        parts = urlsplit(url)
        scheme = "postgresql" if parts.scheme in ("postgres", "postgresql") else parts.scheme
        query = dict(parse_qsl(parts.query, keep_blank_values=True))
        pool = query.pop("pool_size", None) or os.environ.get("MCPHUB_PG_POOL_SIZE")
        cache = query.pop("statement_cache_size", None) or os.environ.get(
            "MCPHUB_PG_STATEMENT_CACHE_SIZE"
        )
        dsn = urlunsplit((scheme, parts.netloc, parts.path, urlencode(query), parts.fragment))
        return cls(
            dsn=dsn,
            pool_size=max(int(pool), 2) if pool else DEFAULT_POOL_SIZE,
            statement_cache_size=int(cache) if cache else DEFAULT_STATEMENT_CACHE_SIZE,
        )

    def connect_kwargs(self, origin: str) -> dict[str, Any]:
        """Arguments for ``asyncpg.connect``/``create_pool``: every connection says which hub
        instance it belongs to, so the change trigger can stamp the origin of a write."""
        return {
            "dsn": self.dsn,
            "statement_cache_size": self.statement_cache_size,
            "server_settings": {"mcphub.origin": origin, "application_name": "mcphub"},
        }
