"""The ``lexical`` provider: identifier splitting, stop words, safe FTS5 terms, name boost."""

from __future__ import annotations

import pytest
from mcphub_search.lexical import LexicalIndex
from mcphub_search.terms import fts_query, query_terms, split_identifier

from hub.search.documents import ToolDoc, doc_key

DOCS = [
    ToolDoc("forge", "search_issues", "Full-text search across tickets.", (("query", ""),)),
    ToolDoc("forge", "list_labels", "List labels used on issues and pull requests.", ()),
    ToolDoc("chat", "sendMessage", "Post a message to a channel.", (("channel", ""),)),
    ToolDoc("cloud", "get-pod-logs", "Read container output.", (("namespace", ""),)),
]
ALL = {d.key for d in DOCS}


def test_identifiers_split_on_underscores_dashes_and_camel_case() -> None:
    assert split_identifier("list_pullRequests-v2") == "list pull Requests v2"
    assert split_identifier("HTTPServerName") == "HTTP Server Name"
    assert query_terms("Please find me a tool to send the message") == ["find", "send", "message"]
    assert query_terms("the of and") == ["the", "of", "and"]  # nothing else left: keep them


@pytest.mark.parametrize(
    "query",
    ['"unbalanced', "NEAR(a b)", "a AND OR NOT b", "col:value", "star*", "-minus ^caret", "()"],
)
def test_user_text_is_never_fts5_syntax(query: str) -> None:
    index = LexicalIndex()
    index.put(DOCS)
    index.scores(query, 5, ALL)  # no sqlite3.OperationalError
    terms = query_terms(query)
    assert all(t.startswith('"') and t.endswith('"') for t in fts_query(terms).split(" OR ") if t)


def test_names_weigh_most_and_allowed_cuts_results() -> None:
    index = LexicalIndex()
    index.put(DOCS)
    hits = index.scores("search issues", 5, ALL)
    assert hits[0].key == doc_key("forge", "search_issues")
    assert index.scores("send message", 5, ALL)[0].key == doc_key("chat", "sendMessage")
    assert index.scores("pod logs", 5, ALL)[0].key == doc_key("cloud", "get-pod-logs")
    only = {doc_key("forge", "list_labels")}
    assert {h.key for h in index.scores("search issues", 5, only)} == only
    index.drop([doc_key("chat", "sendMessage")])
    assert index.scores("send message", 5, ALL) == []
    assert index.count() == 3
