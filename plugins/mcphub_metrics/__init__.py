"""Prometheus metrics of the hub at ``GET /metrics``, on the hub's own registry."""
