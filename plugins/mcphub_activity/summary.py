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


_input_texts: dict[tuple[Any, ...], str] = {}
"""``input_text`` by the arguments' names and value types: a tool is mostly called with the
same shape of arguments, and its summary depends on nothing else."""


def input_text(arguments: dict[str, Any] | None) -> str:
    """``capped(summarize_arguments(arguments))``, made once per shape of arguments."""
    if not arguments or len(arguments) > MAX_ITEMS:
        return capped(summarize_arguments(arguments))
    shape = (*arguments, *map(type, arguments.values()))
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


def looks_like_json(text: str) -> bool:
    """Whether ``text`` starts, after white space, with ``{`` or ``[`` (without copying a
    long text as ``lstrip`` would)."""
    first = text[:1]
    if first == "{" or first == "[":
        return True
    if not first.isspace():  # the usual answer: no white space to skip ("" included)
        return False
    first = text[:64].lstrip()[:1] or text.lstrip()[:1]
    return first in ("{", "[")


def _text(text: str) -> dict[str, Any]:
    return {"textLength": len(text), "looksLikeJson": looks_like_json(text), "wasSanitized": False}


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


_ITEM_HEAD = '{"type":"text","keys":["type","text"],"text":{"textLength":'
_output_heads: dict[tuple[tuple[str, ...], bool, int], str] = {}
"""The output summary's text up to its first content item's length, by result keys,
``isError`` and item count."""


_single_texts: dict[tuple[tuple[str, ...], bool, int, bool], str] = {}
"""The output summary of a one-text result, by result keys, ``isError``, the text's length
and whether it looks like JSON: all it depends on."""


def _output_head(result: dict[str, Any], count: int) -> str:
    keys = tuple(result)
    error = result.get("isError")
    if len(keys) > MAX_ITEMS or (error is not None and type(error) is not bool):
        shape = (keys[:MAX_ITEMS], bool(error), count)
    else:
        shape = (keys, error is True, count)
    head = _output_heads.get(shape)
    if head is None:
        if len(_output_heads) >= 4096:
            _output_heads.clear()
        summary = {
            "type": "object",
            "keys": list(shape[0]),
            "isError": shape[1],
            "contentCount": count,
            "content": [],
        }
        head = _output_heads[shape] = json_dumps(summary).decode()[:-2] + _ITEM_HEAD
    return head


def output_text(result: dict[str, Any]) -> str:
    """``capped(summarize_result(result))``; a result of plain text items (the usual kind) is
    written straight from a cached head and the items' lengths."""
    content = result.get("content")
    if type(content) is not list or not 0 < len(content) <= MAX_ITEMS:
        return capped(summarize_result(result))
    if len(content) == 1:  # most results: one text, its summary made once per shape
        item = content[0]
        text = item.get("text") if type(item) is dict and len(item) == 2 else None
        if type(text) is str and item["type"] == "text" and next(iter(item)) == "type":
            first = text[:1]
            looks = first == "{" or first == "[" or (first.isspace() and looks_like_json(text))
            keys, error = tuple(result), result.get("isError")
            if len(keys) <= MAX_ITEMS and (error is None or type(error) is bool):
                shape = (keys, error is True, len(text), looks)
                out = _single_texts.get(shape)
                if out is None:
                    if len(_single_texts) >= 4096:
                        _single_texts.clear()
                    out = _single_texts[shape] = (
                        f'{_output_head(result, 1)}{len(text)},"looksLikeJson":'
                        f'{"true" if looks else "false"},"wasSanitized":false}}}}]}}'
                    )
                return out if len(out) <= CAP else capped(summarize_result(result))
    parts = []
    for item in content:
        if type(item) is not dict or len(item) != 2 or next(iter(item)) != "type":
            return capped(summarize_result(result))
        text = item.get("text")
        if item["type"] != "text" or type(text) is not str:
            return capped(summarize_result(result))
        parts.append(
            f'{len(text)},"looksLikeJson":{"true" if looks_like_json(text) else "false"},'
            '"wasSanitized":false}}'
        )
    out = _output_head(result, len(parts)) + f",{_ITEM_HEAD}".join(parts) + "]}"
    return out if len(out) <= CAP else capped(summarize_result(result))
