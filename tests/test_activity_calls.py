"""Call rows (``hub.activity_calls``): what waits unsummarised, and the records made of
them equal to those made at once; MCPHub's summaries, cached or not, equal."""

from __future__ import annotations

import math
import subprocess
import sys
from typing import Any

import orjson

from hub.activity_calls import (
    CALL_FIELDS,
    ROW_BYTES,
    WAITING_TEXT,
    Waiting,
    call_input,
    call_output,
    capped,
    input_text,
    output_text,
    pack_rows,
    record_of_call,
    summarize_arguments,
    summarize_result,
    waited,
)


def test_input_summaries_made_once_per_shape_match_the_summary() -> None:
    """The cached input summary is the summary: the same names and types give the same
    text whatever the values, and another type of one value gives another text."""
    shapes = [
        None,
        {},
        {"text": "a", "n": 1},
        {"text": "b", "n": 2.5},
        {"text": "c", "n": True},
        {"text": None, "n": [1], "o": {"k": 1}},
    ]
    for arguments in shapes * 2:
        assert input_text(arguments) == capped(summarize_arguments(arguments))
    assert input_text({"text": "a", "n": 1}) != input_text({"text": "a", "n": True})


def test_output_summaries_written_directly_match_the_summary() -> None:
    """The direct text of a plain-text result is the summary's JSON, and every other
    result takes the summary's own way."""
    results: list[dict[str, Any]] = [
        {"content": [{"type": "text", "text": "hello"}]},
        {"content": [{"type": "text", "text": "hello"}], "isError": False},
        {"content": [{"type": "text", "text": ' {"a": 1}'}], "isError": True},
        {"content": [{"type": "text", "text": " " * 100 + "[1]"}]},  # past the first 64
        {"content": [{"type": "text", "text": "\n" * 100}]},
        {"content": [{"type": "text", "text": "[1]"}, {"type": "text", "text": "żółw ✓"}]},
        {"content": [{"type": "text", "text": "x"}], "structuredContent": {"x": 1}},
        {"isError": False, "content": [{"type": "text", "text": ""}], 'we"ird\n': 1},
        {"content": [{"text": "reversed keys", "type": "text"}]},
        {"content": [{"type": "image", "data": "AA==", "mimeType": "image/png"}]},
        {"content": [{"type": "text", "text": "a", "annotations": {}}]},
        {"content": [{"type": "text", "text": 5}]},
        {"content": []},
        {"content": "not a list"},
        {},
        {"content": [{"type": "text", "text": "many"}] * 150},
    ]
    for result in results * 2:
        assert output_text(result) == capped(summarize_result(result)), result


def test_small_arguments_and_results_wait_and_the_rest_is_summarised_now() -> None:
    """A row keeps a call's arguments and result only when they are small and plain, so a
    queue of rows holds no large value; everything else is summarised at once."""
    small = {"text": "hello", "n": 1, "f": 2.5, "b": True, "none": None}
    assert type(call_input(small)) is Waiting and waited(call_input(small)) == small
    for arguments in (
        {"big": 2**70},
        {"nan": math.nan},
        None,
        {},
        {"text": "x" * (WAITING_TEXT + 1)},
        {"nested": {"a": 1}},
        {"list": [1, 2]},
        {f"k{i}": i for i in range(101)},
    ):
        assert call_input(arguments) == input_text(arguments), arguments
    plain = {"content": [{"type": "text", "text": "hello"}]}
    flagged = {"content": [{"type": "text", "text": "hello"}], "isError": False}
    for result in (plain, flagged):
        assert type(call_output(result)) is Waiting and waited(call_output(result)) == result
    for result in (
        {"content": [{"type": "text", "text": "x" * (WAITING_TEXT + 1)}]},
        {"content": [{"type": "text", "text": "a"}, {"type": "text", "text": "b"}]},
        {"content": [{"type": "text", "text": "a"}], "structuredContent": {"big": [1] * 99}},
        {"content": [{"type": "image", "data": "AA==", "mimeType": "image/png"}]},
        {"content": [{"type": "text", "text": "a"}], "isError": "yes"},
        {"content": []},
    ):
        assert call_output(result) == output_text(result), result


def test_a_rows_record_is_the_record_made_at_once() -> None:
    """Whether a row's summaries waited or not, and whether the row was read back from its
    JSON or not, its record is the same."""
    arguments: dict[str, Any] = {"text": "hello", "n": 3}
    result = {"content": [{"type": "text", "text": '{"a": 1}'}], "isError": False}
    now = (1.5, "s", "t", 12, "success", input_text(arguments), output_text(result))
    tail = ("g", "k1", "key one", None, None, "mcp")
    later = (1.5, "s", "t", 12, "success", call_input(arguments), call_output(result))
    assert type(later[5]) is Waiting and type(later[6]) is Waiting
    expected = dict(zip(CALL_FIELDS, now + tail, strict=True))
    assert record_of_call(later + tail) == expected == record_of_call(now + tail)
    assert record_of_call(orjson.loads(orjson.dumps(later + tail))) == expected
    failed = (
        1.5,
        "s",
        "t",
        12,
        "error",
        input_text(None),
        None,
        "g",
        None,
        None,
        "boom",
        "u",
        "sse",
    )
    assert record_of_call(failed)["output"] is None
    assert (record_of_call(failed)["errorMessage"], record_of_call(failed)["user"]) == ("boom", "u")
    assert record_of_call(failed)["input"] == '{"present":false}'


def test_packed_rows_give_the_records_made_at_once_and_big_values_are_summarised() -> None:
    """``pack_rows`` encodes rows holding the calls' own arguments and results in one go;
    read back, each row's record is the one made at once. Rows too big on average, or that
    JSON cannot carry, are settled first: their big values summarised, the rest waiting."""

    def row(arguments: Any, result: Any, tool: str = "t") -> tuple[Any, ...]:
        status = "success" if result is not None else "error"
        return (1.5, "s", tool, 3, status, arguments, result, "g", "k", "key", None, None, "mcp")

    small = {"content": [{"type": "text", "text": "hello"}], "isError": False}
    image = {"content": [{"type": "image", "data": "AA==", "mimeType": "image/png"}]}
    rows = [row({"text": "hi"}, small), row(None, None), row({"n": [1, {"a": 2}]}, image)]
    pack = pack_rows(rows)
    assert len(pack) == 3 and orjson.loads(pack.json)[2][5] == {"n": [1, {"a": 2}]}
    assert [record_of_call(r) for r in pack.rows()] == [record_of_call(r) for r in rows]

    big_text = {"content": [{"type": "text", "text": "x" * (ROW_BYTES * 2)}]}
    huge = [row({"text": "hi"}, small), row({"big": 2**70}, big_text)]
    settled = pack_rows(huge).rows()
    assert len(pack_rows(huge).json) < ROW_BYTES  # the big text is gone
    assert settled[0][5] == {"text": "hi"} and settled[0][6] == small  # small ones still wait
    assert settled[1][5] == input_text({"big": 2**70}) and settled[1][6] == output_text(big_text)
    assert [record_of_call(r) for r in settled] == [record_of_call(r) for r in huge]
    only_odd = [row({"big": 2**70}, small)]  # small, but JSON cannot carry it
    assert pack_rows(only_odd).rows()[0][5] == input_text({"big": 2**70})
    assert pack_rows([]).rows() == [] and len(pack_rows([])) == 0


def test_the_module_loads_nothing_else_of_the_hub() -> None:
    """A store's writer process imports it: it must not load the hub's app, config or
    plugins (seconds), only what the summaries need."""
    code = (
        "import sys, hub.activity_calls;"
        "print(' '.join(sorted(m for m in sys.modules if m.split('.')[0] == 'hub')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert set(out.stdout.split()) == {
        "hub",
        "hub.activity_calls",
        "hub.hookspecs",
        "hub.mcp",
        "hub.mcp.json_codec",
    }
