"""Benchmarks: a fast upstream, a load generator and the scenarios of issue 8.

Kept import-free so ``python -m bench.upstream`` starts in tens of milliseconds.
"""
