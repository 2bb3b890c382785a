"""Tool search providers for smart routing (``/mcp/$smart``): ``lexical`` (SQLite FTS5, the
default), ``openai`` / ``azure_openai`` (any OpenAI-compatible embeddings API) and ``local``
(an embedding model shipped in a PyPI package; the ``embeddings`` extra)."""
