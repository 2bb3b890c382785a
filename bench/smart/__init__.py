"""``python -m bench smart``: relevance and latency of the smart-routing search providers."""
