"""The embedded default store: SQLite through aiosqlite."""
