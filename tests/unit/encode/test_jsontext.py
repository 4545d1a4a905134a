"""Shallow-indented JSON parses to what `json.dumps` writes, and is its exact text when deep enough."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hullscan.encode.jsontext import dumps

SCALARS = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text()
JSON_VALUES = st.recursive(
    SCALARS,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=6), children, max_size=4),
    max_leaves=30,
)


def _depth(value: Any) -> int:
    if isinstance(value, dict) and value:
        return 1 + max(_depth(v) for v in value.values())
    if isinstance(value, list) and value:
        return 1 + max(_depth(v) for v in value)
    return 0


@given(JSON_VALUES, st.integers(min_value=0, max_value=4))
def test_the_text_parses_to_the_same_value(value: Any, levels: int) -> None:
    assert json.loads(dumps(value, levels=levels)) == json.loads(json.dumps(value))


@given(JSON_VALUES)
def test_indenting_every_level_is_exactly_json_dumps_indent_2(value: Any) -> None:
    expected = json.dumps(value, indent=2, sort_keys=True)
    assert dumps(value, levels=_depth(value)) == expected


def test_deeper_levels_stay_on_one_line() -> None:
    document = {"packages": [{"name": "zlib", "files": ["/a", "/b"]}], "schema": "x"}
    text = dumps(document, levels=2)
    assert text.splitlines() == [
        "{",
        '  "packages": [',
        '    {"files": ["/a", "/b"], "name": "zlib"}',
        "  ],",
        '  "schema": "x"',
        "}",
    ]


def test_non_string_keys_are_written_as_json_writes_them() -> None:
    assert json.loads(dumps({2: "a", None: "b", True: "c"}, levels=1)) == {"2": "a", "null": "b", "true": "c"}
    with pytest.raises(TypeError, match="keys must be"):
        dumps({(1, 2): "tuple"}, levels=1)


def test_unknown_objects_go_through_default() -> None:
    class Odd:
        def __str__(self) -> str:
            return "odd"

    assert json.loads(dumps({"a": [Odd()]}, levels=1)) == {"a": ["odd"]}


@given(JSON_VALUES, st.integers(min_value=0, max_value=3))
def test_the_pure_python_fallback_writes_the_same_text(value: Any, levels: int) -> None:
    with_c = dumps(value, levels=levels)
    c_encoder = json.encoder.c_make_encoder  # type: ignore[attr-defined]
    json.encoder.c_make_encoder = None  # type: ignore[attr-defined]
    try:
        without_c = dumps(value, levels=levels)
    finally:
        json.encoder.c_make_encoder = c_encoder  # type: ignore[attr-defined]
    assert without_c == with_c
