"""``lexical``: BM25 over SQLite FTS5, in memory, rebuilt from the catalog at start.

Columns: the tool's name split into words, its server, its description, its parameters'
names and descriptions. The name counts most (``NAME_WEIGHT``), so "search issues" ranks
``search_issues`` above a tool that only mentions issues. The porter stemmer folds
"creates"/"creating"/"create". Nothing to install, nothing to configure.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Collection, Sequence
from pathlib import Path

from hub.plugin_api import SearchHit, SmartRoutingConfig, ToolDoc
from mcphub_search.terms import fts_query, query_terms, split_identifier

NAME_WEIGHT = 8.0
SERVER_WEIGHT = 1.0
DESCRIPTION_WEIGHT = 2.0
PARAMETER_WEIGHT = 0.5


class LexicalIndex:
    """One in-memory FTS5 table; every call is synchronous and quick (milliseconds)."""

    name = "lexical"
    threshold = 0.0
    """BM25 scores are unbounded; any match on a content word is a result."""

    def __init__(self) -> None:
        self.db = sqlite3.connect(":memory:", check_same_thread=False)
        self.db.execute(
            "CREATE VIRTUAL TABLE tools USING fts5("
            "key UNINDEXED, name, server, description, parameters, "
            "tokenize = 'porter unicode61')"
        )

    def put(self, docs: Sequence[ToolDoc]) -> None:
        rows = [
            (
                doc.key,
                " ".join([split_identifier(doc.tool), split_identifier(doc.title)]),
                split_identifier(doc.server),
                doc.description,
                " ".join(f"{split_identifier(n)} {d}" for n, d in doc.parameters),
            )
            for doc in docs
        ]
        with self.db:
            self.db.executemany("DELETE FROM tools WHERE key = ?", [(r[0],) for r in rows])
            self.db.executemany("INSERT INTO tools VALUES (?, ?, ?, ?, ?)", rows)

    def drop(self, keys: Collection[str]) -> None:
        with self.db:
            self.db.executemany("DELETE FROM tools WHERE key = ?", [(k,) for k in keys])

    def scores(self, query: str, limit: int, allowed: Collection[str]) -> list[SearchHit]:
        """Best ``limit`` allowed keys, score = -BM25 (higher is better)."""
        terms = query_terms(query)
        if not terms:
            return []
        sql = (
            "SELECT key, bm25(tools, 0, ?, ?, ?, ?) AS score FROM tools "
            "WHERE tools MATCH ? ORDER BY score LIMIT ?"
        )
        weights = (NAME_WEIGHT, SERVER_WEIGHT, DESCRIPTION_WEIGHT, PARAMETER_WEIGHT)
        fetch = limit * 4 + 50
        while True:
            rows = self.db.execute(sql, (*weights, fts_query(terms), fetch)).fetchall()
            hits = [SearchHit(key, -score) for key, score in rows if key in allowed]
            if len(hits) >= limit or len(rows) < fetch:
                return hits[:limit]
            fetch *= 4

    def count(self) -> int:
        row = self.db.execute("SELECT count(*) FROM tools").fetchone()
        return int(row[0])

    # SearchIndex

    async def upsert(self, docs: Sequence[ToolDoc]) -> None:
        self.put(docs)

    async def remove(self, keys: Collection[str]) -> None:
        self.drop(keys)

    async def search(self, query: str, limit: int, allowed: Collection[str]) -> list[SearchHit]:
        return self.scores(query, limit, allowed)

    async def close(self) -> None:
        self.db.close()


class LexicalProvider:
    """Always available: SQLite ships FTS5."""

    def check(self, config: SmartRoutingConfig) -> None:
        return None

    def open(self, config: SmartRoutingConfig, data_dir: Path) -> LexicalIndex:
        return LexicalIndex()
