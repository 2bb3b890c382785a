"""MCPHub's summaries of a call's arguments and result: shapes, never values.

``input`` keeps the argument names and their JSON types; ``output`` keeps the result's
keys, ``isError``, and per content item its type, keys and text length. Either one,
serialised, longer than ``CAP`` characters is replaced by MCPHub's truncation marker.
"""

from __future__ import annotations

from typing import Any

from hub.plugin_api import json_dumps

CAP = 100_000
"""Characters of a serialised summary kept at most (MCPHub's cap)."""
MAX_ITEMS = 100
"""Content items and argument keys described at most (the counts stay exact)."""


def json_type(value: Any) -> str:
    """The JavaScript ``typeof``-like name of a JSON value."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def capped(summary: dict[str, Any]) -> str:
    """The summary as JSON, or the truncation marker when it is longer than ``CAP``."""
    text = json_dumps(summary, default=str).decode()
    if len(text) <= CAP:
        return text
    marker = {
        "_truncated": True,
        "_message": "Data too large to store",
        "_originalLength": len(text),
    }
    return json_dumps(marker).decode()


_input_texts: dict[tuple[tuple[str, ...], tuple[type, ...]], str] = {}
"""``input_text`` by the arguments' names and value types: a tool is mostly called with the
same shape of arguments, and its summary depends on nothing else."""


def input_text(arguments: dict[str, Any] | None) -> str:
    """``capped(summarize_arguments(arguments))``, made once per shape of arguments."""
    if not arguments or len(arguments) > MAX_ITEMS:
        return capped(summarize_arguments(arguments))
    shape = (tuple(arguments), tuple(map(type, arguments.values())))
    text = _input_texts.get(shape)
    if text is None:
        if len(_input_texts) >= 4096:
            _input_texts.clear()
        text = _input_texts[shape] = capped(summarize_arguments(arguments))
    return text


def summarize_arguments(arguments: dict[str, Any] | None) -> dict[str, Any]:
    if not arguments:
        return {"present": False}
    keys = list(arguments)[:MAX_ITEMS]
    return {
        "present": True,
        "type": "object",
        "keyCount": len(arguments),
        "keys": keys,
        "valueTypes": {k: json_type(arguments[k]) for k in keys},
    }


def _text(text: str) -> dict[str, Any]:
    stripped = text.lstrip()[:1]
    return {"textLength": len(text), "looksLikeJson": stripped in ("{", "["), "wasSanitized": False}


def _item(item: Any) -> dict[str, Any]:
    if not isinstance(item, dict):
        return {"type": json_type(item)}
    out: dict[str, Any] = {"type": item.get("type"), "keys": list(item)[:MAX_ITEMS]}
    text = item.get("text")
    if isinstance(text, str):
        out["text"] = _text(text)
    return out


def summarize_result(result: dict[str, Any]) -> dict[str, Any]:
    content = result.get("content")
    items = content if isinstance(content, list) else []
    return {
        "type": "object",
        "keys": list(result)[:MAX_ITEMS],
        "isError": bool(result.get("isError")),
        "contentCount": len(items),
        "content": [_item(i) for i in items[:MAX_ITEMS]],
    }
