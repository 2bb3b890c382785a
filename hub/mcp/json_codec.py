"""JSON for JSON-RPC messages on the hot path: orjson, with the standard library behind it.

Every proxied call encodes and decodes about four messages; orjson does each in a fraction
of a microsecond where ``json`` takes 4-7 µs. What orjson refuses (integers beyond 64 bits,
non-string keys, NaN literals in input, nesting past 1024) falls back to ``json``, so
nothing that parsed or encoded before fails now.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import orjson


def dumps(value: Any, default: Callable[[Any], Any] | None = None) -> bytes:
    """Compact UTF-8 JSON; ``default`` converts what JSON has no type for."""
    try:
        return orjson.dumps(value, default=default)
    except TypeError:
        text = json.dumps(value, separators=(",", ":"), ensure_ascii=False, default=default)
        return text.encode()


def loads(data: bytes | str) -> Any:
    """Parsed JSON; ``ValueError`` (``json.JSONDecodeError``) when it is not JSON."""
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError:
        return json.loads(data)
