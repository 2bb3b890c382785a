"""Activity *call rows*: what the hub keeps of a finished tool call until its record is
written, and MCPHub's summaries that turn a row into the record.

A row is a tuple in the order of ``CALL_FIELDS`` (the record's fields). Its ``input`` and
``output`` hold either their summary (a string; ``output`` None for a failed call) or a
value still to summarise: the call's own arguments and result, or their JSON (``Waiting``);
a row read back from JSON holds the values themselves. ``record_of_call`` makes the record;
a log with ``add_calls`` may do that where it likes, the SQLite store in its writer process,
so the hub's event loop does not pay for summaries at all.

The activity plugin makes rows with the call's own arguments and result and encodes a few
dozen at a time (``pack_rows``): one ``orjson.dumps`` for all, and the queue holds bytes,
not the calls' objects. A pack bigger than ``ROW_BYTES`` a row is made again with each big
value summarised at once (``call_input``, ``call_output``), so a queue of packs stays about
as small as a queue of records.

Summaries (MCPHub's): ``input`` keeps the argument names and their JSON types; ``output``
keeps the result's keys, ``isError``, and per content item its type, keys and text length.
Either one, serialised, longer than ``CAP`` characters is replaced by MCPHub's
truncation marker.

Part of the public plugin API that imports nothing else of the hub (the standard library
and orjson only), so a plugin's worker process can use it without loading the hub.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import orjson
from orjson import dumps, loads

from hub.mcp.json_codec import dumps as json_dumps

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
    if not arguments:
        return _NO_ARGUMENTS
    if len(arguments) > MAX_ITEMS:
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


_NO_ARGUMENTS = capped(summarize_arguments(None))
"""The input summary of a call without arguments."""


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


# -- call rows -----------------------------------------------------------------------

CALL_FIELDS = (
    "timestamp",
    "server",
    "tool",
    "duration",
    "status",
    "input",
    "output",
    "group",
    "keyId",
    "keyName",
    "errorMessage",
    "user",
    "via",
)
"""A call row's fields in order: the record's (``hub.plugin_api.ActivityLog``), MCPHub's
``IActivity`` fields, then ours (who called as a user, and through which route)."""
INPUT, OUTPUT = CALL_FIELDS.index("input"), CALL_FIELDS.index("output")
WAITING_TEXT = 16_384
"""Characters of a string argument or a result's text at most, for its summary to wait."""
_SCALARS = frozenset((str, int, float, bool, type(None)))
Waiting = orjson.Fragment
"""A value whose summary waits, held as its JSON: the arguments and result themselves are
freed with the call (a row of scalars is no work for the cycle collector), and a row is
encoded with its ``Waiting`` values as they are. ``orjson.dumps`` gives the JSON back."""


def call_input(arguments: Any) -> Any:
    """A row's ``input``: the ``arguments`` as JSON (``Waiting``) when they are a few finite
    scalars (no string longer than ``WAITING_TEXT``), else their summary now."""
    if type(arguments) is dict and 0 < len(arguments) <= MAX_ITEMS:
        for value in arguments.values():
            kind = type(value)
            if kind not in _SCALARS or (
                (kind is str and len(value) > WAITING_TEXT)
                or (kind is float and not math.isfinite(value))  # JSON has no NaN
            ):
                break
        else:
            try:
                return Waiting(dumps(arguments))
            except TypeError:  # an integer past 64 bits
                pass
    return input_text(arguments)


def call_output(result: dict[str, Any]) -> Any:
    """A row's ``output`` of a call that returned ``result``: the result as JSON
    (``Waiting``) when it is one short text item (and perhaps ``isError``), else its
    summary now."""
    size = len(result)
    content = result.get("content")
    if (size == 1 or (size == 2 and type(result.get("isError")) is bool)) and (
        type(content) is list and len(content) == 1
    ):
        item = content[0]
        if type(item) is dict and len(item) == 2:
            text = item.get("text")
            if type(text) is str and len(text) <= WAITING_TEXT and type(item.get("type")) is str:
                return Waiting(dumps(result))
    return output_text(result)


ROW_BYTES = 16_384
"""Bytes of JSON a packed call row takes on average at most (``pack_rows``)."""


class PackedRows:
    """Call rows encoded together as one JSON array (``pack_rows``): what the hub keeps of
    them until they are written is these bytes."""

    __slots__ = ("count", "json")

    def __init__(self, json: bytes, count: int) -> None:
        self.json = json
        self.count = count

    def __len__(self) -> int:
        return self.count

    def rows(self) -> list[list[Any]]:
        """The rows, read back (their values as JSON gives them)."""
        rows: list[list[Any]] = loads(self.json)
        return rows


def pack_rows(rows: list[tuple[Any, ...]]) -> PackedRows:
    """Rows whose ``input`` and ``output`` may still be the call's own arguments and result,
    encoded in one go: a few dozen rows cost one ``orjson.dumps``, and the objects are freed
    at once. When they make more than ``ROW_BYTES`` a row, or JSON cannot carry them, each
    row is settled as ``call_input`` and ``call_output`` would (big values summarised). A
    NaN or infinity (which only a non-standard JSON literal gives) becomes null, so such an
    argument's type is summarised as ``null``."""
    try:
        json = dumps(rows)
    except TypeError:  # an integer past 64 bits, a key that is not a string, ...
        json = b""
    if not json or len(json) > ROW_BYTES * len(rows):
        json = json_dumps([_settled(row) for row in rows], default=json_default)
    return PackedRows(json, len(rows))


def _settled(row: tuple[Any, ...]) -> list[Any]:
    values = list(row)
    given = values[INPUT]
    if type(given) is not str:
        values[INPUT] = call_input(given)
    given = values[OUTPUT]
    if given is not None and type(given) is not str:
        values[OUTPUT] = call_output(given) if type(given) is dict else output_text({})
    return values


def json_default(value: Any) -> Any:
    """What JSON keeps of a value without a JSON type (``default`` of a ``dumps``): a
    ``Waiting`` value's own, else its ``str()``."""
    return waited(value) if type(value) is Waiting else str(value)


def summarized(row: Sequence[Any]) -> list[Any]:
    """The values of ``row`` with ``input`` and ``output`` as summaries."""
    values = list(row)
    given = values[INPUT]
    if type(given) is not str:
        values[INPUT] = input_text(waited(given))
    given = values[OUTPUT]
    if given is not None and type(given) is not str:
        values[OUTPUT] = output_text(waited(given))
    return values


def waited(value: Any) -> Any:
    """The value a ``Waiting`` holds (anything else as it is: a row read back from JSON
    holds the value itself)."""
    return loads(dumps(value)) if type(value) is Waiting else value


def record_of_call(row: Sequence[Any]) -> dict[str, Any]:
    """The activity record of a call row."""
    return dict(zip(CALL_FIELDS, summarized(row), strict=True))
