"""JSON text that stays readable and is written by the C encoder.

`json.dumps(..., indent=2)` falls back to the pure-Python encoder, five times slower than the C
one: on a 2 MB inventory that is most of a warm `sbom`. Here only the outer `levels` of containers
are indented, one member per line; everything deeper is one compact line made by the C encoder.
The text parses to exactly what `json.dumps` would have produced.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

_SEPARATORS = (", ", ": ")


def dumps(value: Any, *, levels: int, sort_keys: bool = True, default: Callable[[Any], Any] = str) -> str:
    """Return `value` as JSON text indented two spaces for its outer `levels` of containers."""
    compact = _compact_encoder(sort_keys=sort_keys, default=default)
    parts: list[str] = []
    _write(value, levels, "", compact, sort_keys, parts)
    return "".join(parts)


def _compact_encoder(*, sort_keys: bool, default: Callable[[Any], Any]) -> Callable[[Any], str]:
    """Return value -> one-line JSON, calling the C encoder directly when there is one.

    `JSONEncoder.encode` builds a new C encoder on every call; with tens of thousands of small
    members that set-up costs more than the encoding. Cycles are not checked (our documents are
    built from dataclasses and have none).
    """
    make = getattr(json.encoder, "c_make_encoder", None)
    if make is None:  # an interpreter without the C accelerator
        encoder = json.JSONEncoder(sort_keys=sort_keys, default=default, separators=_SEPARATORS)
        return encoder.encode
    key_separator, item_separator = _SEPARATORS[1], _SEPARATORS[0]
    skip_keys, allow_nan = False, True  # as json.dumps: bad keys raise, NaN is written
    encode = make(
        None, default, json.encoder.encode_basestring_ascii, None, key_separator, item_separator,
        sort_keys, skip_keys, allow_nan,
    )  # fmt: skip

    def compact(value: Any) -> str:
        return "".join(encode(value, 0))

    return compact


def _write(
    value: Any,
    levels: int,
    indent: str,
    compact: Callable[[Any], str],
    sort_keys: bool,
    parts: list[str],
) -> None:
    if levels <= 0 or not value or not isinstance(value, dict | list | tuple):
        parts.append(compact(value))
        return
    inner = indent + "  "
    if isinstance(value, dict):
        items = sorted(value.items(), key=lambda item: _key(item[0])) if sort_keys else value.items()
        parts.append("{")
        for position, (key, member) in enumerate(items):
            parts.append(("\n" if position == 0 else ",\n") + inner + compact(_key(key)) + ": ")
            _write(member, levels - 1, inner, compact, sort_keys, parts)
        parts.append("\n" + indent + "}")
        return
    parts.append("[")
    for position, member in enumerate(value):
        parts.append(("\n" if position == 0 else ",\n") + inner)
        _write(member, levels - 1, inner, compact, sort_keys, parts)
    parts.append("\n" + indent + "]")


def _key(key: Any) -> str:
    """Return a mapping key as `json` writes it (strings as they are; numbers, bools, null as text)."""
    if isinstance(key, str):
        return key
    if key is None or isinstance(key, bool | int | float):
        return json.dumps(key)
    msg = f"keys must be str, int, float, bool or None, not {type(key).__name__}"
    raise TypeError(msg)
