"""User text and tool names turned into plain search terms.

Identifiers are split on ``_``, ``-``, ``.``, ``/`` and camelCase (``createIssue`` →
``create issue``); stop words are dropped; what reaches FTS5 is always a quoted term, so no
user text is ever read as query syntax.
"""

from __future__ import annotations

import re

_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
_WORD = re.compile(r"[^\W_]+", re.UNICODE)

_STOP_TEXT = """
    a about above after again all also am an and any are as at be been before being below
    between both but by can could did do does doing down during each either few for from
    further had has have having he her here hers herself him himself his how i if in into is
    it its itself just me more most my myself no nor not now of off on once only or other our
    ours ourselves out over own same she should so some such than that the their theirs them
    themselves then there these they this those through to too under until up very was we
    were what when where which while who whom why will with would you your yours yourself
    yourselves please want wants need needs like let lets help me tool tools use using
    something thing things way get give make kind one via
"""
STOP_WORDS = frozenset(_STOP_TEXT.split())
"""English function words, and words every tool request carries ("I want a tool to …")."""


def split_identifier(text: str) -> str:
    """``list_pullRequests-v2`` → ``list pull Requests v2``."""
    return " ".join(_CAMEL.sub(" ", part) for part in _WORD.findall(text))


def words(text: str) -> list[str]:
    """Lower-cased words of ``text``, identifiers split, in order (stop words kept)."""
    return [w.lower() for w in _WORD.findall(split_identifier(text))]


def query_terms(text: str) -> list[str]:
    """The distinct content words of a query, in order; stop words dropped unless nothing
    else is left (a query of only stop words still searches for them)."""
    found = words(text)
    content = [w for w in found if w not in STOP_WORDS] or found
    seen: dict[str, None] = {}
    for word in content:
        seen.setdefault(word, None)
    return list(seen)


def fts_query(terms: list[str]) -> str:
    """An FTS5 MATCH expression: each term quoted (quotes doubled), any of them may match."""
    return " OR ".join('"' + term.replace('"', '""') + '"' for term in terms)
