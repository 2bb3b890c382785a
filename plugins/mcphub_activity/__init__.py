"""Activity history: one record per tool call, written off the hot path in batches."""
